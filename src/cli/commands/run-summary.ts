import type { Command } from "commander";
import type { CliContext } from "../context.ts";
import { examples } from "../options.ts";
import { runSummaryText } from "../run-render.ts";
import { runsApi } from "./run-client.ts";

export function registerRunSummary(run: Command, ctx: CliContext): void {
  run
    .command("summary")
    .description("a run at a glance: duration, nodes, top errors, alerts, findings, and how it compares with the previous run")
    .argument("<run>", "run id")
    .addHelpText(
      "after",
      examples("stagegate run summary run_01jd…", "stagegate run summary run_01jd… -o json | jq '.topErrors[0].example.stack'"),
    )
    .action(async (runId: string) => {
      ctx.emit(await runsApi(ctx).summary(runId), runSummaryText);
    });
}
