import type { Command } from "commander";
import type { CliContext } from "../context.ts";
import { examples } from "../options.ts";
import { runFields } from "../run-render.ts";
import { runsApi } from "./run-client.ts";

export function registerRunGet(run: Command, ctx: CliContext): void {
  run
    .command("get")
    .description("show one run: status, environment, release, timings")
    .argument("<run>", "run id")
    .addHelpText("after", examples("stagegate run get run_01jd…", "stagegate run get run_01jd… -o json | jq -r .status"))
    .action(async (runId: string) => {
      ctx.emit(await runsApi(ctx).getRun(runId), runFields);
    });
}
