import type { Command } from "commander";
import type { LogRecordDto } from "../../sdk/runs.ts";
import type { CliContext } from "../context.ts";
import { examples, integerIn } from "../options.ts";
import { runsApi } from "./run-client.ts";

const COLOURS: Record<string, string> = { error: "31", fatal: "35", warn: "33", info: "32", debug: "90", trace: "90" };

export function formatRecord(r: LogRecordDto, colour: boolean): string {
  const level = r.level.toUpperCase().padEnd(5);
  const code = COLOURS[r.level];
  const shown = colour && code ? `\u001b[${code}m${level}\u001b[0m` : level;
  const node = colour ? `\u001b[36m${r.node}\u001b[0m` : r.node;
  return `${r.ts} ${shown} ${node} ${r.msg}`;
}

export function registerLogsTail(logs: Command, ctx: CliContext): void {
  logs
    .command("tail")
    .description("a run's log of every node merged in time order; --follow keeps printing until the run ends")
    .argument("<run>", "run id")
    .option("--node <node>", "only these nodes (comma-separated)")
    .option("--level <level>", "this level and above (debug, info, warn, error, fatal)")
    .option("--grep <words>", "full-text search: every word must occur")
    .option("-n, --lines <n>", "how many of the last records to show", integerIn(1, 5000), 100)
    .option("-f, --follow", "keep printing new records until the run ends", false)
    .option("--no-color", "no colours (also when stdout is not a terminal)")
    .addHelpText(
      "after",
      examples(
        "stagegate logs tail run_01jd… --level error",
        "stagegate logs tail run_01jd… --node worker-3 --grep OOM --follow",
      ),
    )
    .action(
      async (
        runId: string,
        options: { node?: string; level?: string; grep?: string; lines: number; follow: boolean; color: boolean },
      ) => {
        const api = runsApi(ctx);
        const colour = options.color && !ctx.json && Boolean((ctx.io.stdout as { isTTY?: boolean }).isTTY);
        const filter = {
          ...(options.node ? { node: options.node } : {}),
          ...(options.level ? { level: options.level } : {}),
          ...(options.grep ? { q: options.grep } : {}),
        };
        const print = (r: LogRecordDto) => ctx.out(ctx.json ? JSON.stringify(r) : formatRecord(r, colour));
        if (options.follow) {
          // One stream: the last lines in time order, then every record as it arrives (also one stamped earlier).
          for await (const r of api.tail(runId, { ...filter, limit: options.lines, follow: true })) print(r);
          return;
        }
        const last = await api.logs(runId, { ...filter, order: "desc", limit: options.lines });
        for (const r of last.items.reverse()) print(r);
      },
    );
}
