import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { type Command, Option } from "commander";
import type { CliContext } from "../context.ts";
import { UsageError } from "../errors.ts";
import { examples, integerIn } from "../options.ts";
import { runsApi } from "./run-client.ts";

export function registerMetricsPush(metrics: Command, ctx: CliContext): void {
  metrics
    .command("push")
    .description("send GPU/host samples to a run: nvidia-smi --query-gpu CSV or a Prometheus text scrape")
    .argument("<run>", "run id")
    .argument("<file>", "the file, or - for stdin")
    .addOption(new Option("--format <format>", "what the file holds").choices(["nvidia-smi", "prometheus"]).makeOptionMandatory())
    .option("--node <node>", "the node the samples are from (default: this host's name)")
    .option(
      "--interval <seconds>",
      "seconds between repeated nvidia-smi samples without a timestamp column (-l)",
      integerIn(1, 3600),
      5,
    )
    .addHelpText(
      "after",
      examples(
        "nvidia-smi --query-gpu=timestamp,index,utilization.gpu,memory.used,memory.total --format=csv -l 5 > gpu.csv",
        "stagegate metrics push run_01jd… --format nvidia-smi gpu.csv",
        "curl -s localhost:9400/metrics | stagegate metrics push run_01jd… --format prometheus -",
      ),
    )
    .action(
      async (runId: string, file: string, options: { format: "nvidia-smi" | "prometheus"; node?: string; interval: number }) => {
        let body: string;
        try {
          body = readFileSync(file === "-" ? 0 : file, "utf8");
        } catch (error) {
          throw new UsageError(`cannot read ${file}: ${(error as Error).message}`, { cause: error });
        }
        const answer = await runsApi(ctx).pushMetrics(runId, options.format, body, {
          node: options.node ?? hostname(),
          ...(options.format === "nvidia-smi" ? { intervalMs: options.interval * 1000 } : {}),
        });
        ctx.emit(answer, (a) =>
          [
            `${a.accepted} samples stored${a.rejected ? `, ${a.rejected} lines rejected` : ""}`,
            ...a.errors.map((e) => `  line ${e.line}: ${e.reason}`),
          ].join("\n"),
        );
        if (answer.accepted === 0) ctx.exitCode = 1;
      },
    );
}
