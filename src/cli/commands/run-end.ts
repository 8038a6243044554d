import { type Command, Option } from "commander";
import { RUN_END_STATUSES, type RunEndStatus } from "../../sdk/runs.ts";
import type { CliContext } from "../context.ts";
import { examples } from "../options.ts";
import { runLine } from "../run-render.ts";
import { runsApi } from "./run-client.ts";

export function registerRunEnd(run: Command, ctx: CliContext): void {
  run
    .command("end")
    .description("end a running run with its outcome (a run ends once); the run's own ingest token may do this")
    .argument("<run>", "run id")
    .addOption(new Option("--status <status>", "the run's outcome").choices(RUN_END_STATUSES).makeOptionMandatory())
    .addHelpText(
      "after",
      examples(
        "stagegate run end run_01jd… --status succeeded",
        'STAGEGATE_TOKEN=$STAGEGATE_INGEST_TOKEN stagegate run end "$STAGEGATE_RUN" --status failed   # from the job itself',
      ),
    )
    .action(async (runId: string, options: { status: RunEndStatus }) => {
      ctx.emit(await runsApi(ctx).endRun(runId, options.status), runLine);
    });
}
