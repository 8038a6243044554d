import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { gunzipSync } from "node:zlib";
import type { Command } from "commander";
import type { CliContext } from "../context.ts";
import { UsageError } from "../errors.ts";
import { examples } from "../options.ts";
import { runsApi } from "./run-client.ts";
import { nodeOfPath, parseSparkLog } from "./run-logs.parser.ts";

const LOG_FILE = /(^|[\\/])(stdout|stderr|log4j[^\\/]*\.log)([-.][^\\/]*)?(\.gz)?$/;
const BATCH = 5000;

function files(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...files(path));
    else if (LOG_FILE.test(path)) out.push(path);
  }
  return out.sort();
}

export function registerRunImportLogs(run: Command, ctx: CliContext): void {
  run
    .command("import-logs")
    .description("import a Databricks/Spark cluster log folder: driver stdout/stderr/log4j (also rotated .gz), executor stderr")
    .argument("<run>", "run id")
    .argument("<dir>", "the cluster log folder (e.g. a copy of dbfs:/cluster-logs/<cluster-id>)")
    .addHelpText(
      "after",
      examples("databricks fs cp -r dbfs:/cluster-logs/0501-abc ./logs && stagegate run import-logs run_01jd… ./logs"),
    )
    .action(async (runId: string, dir: string) => {
      let found: string[];
      try {
        if (!statSync(dir).isDirectory()) throw new Error("not a directory");
        found = files(dir);
      } catch (error) {
        throw new UsageError(`cannot read the folder ${dir}: ${(error as Error).message} (zip archives: unzip first)`, {
          cause: error,
        });
      }
      const api = runsApi(ctx);
      let accepted = 0;
      let rejected = 0;
      for (const path of found) {
        const raw = readFileSync(path);
        const text = (path.endsWith(".gz") ? gunzipSync(raw) : raw).toString("utf8");
        const name = relative(dir, path);
        const records = parseSparkLog(text, { file: name, node: nodeOfPath(name) });
        for (let i = 0; i < records.length; i += BATCH) {
          const answer = await api.pushLogs(
            runId,
            records
              .slice(i, i + BATCH)
              .map((r) => JSON.stringify(r))
              .join("\n"),
          );
          accepted += answer.accepted;
          rejected += answer.rejected;
        }
        ctx.note(`${name}: ${records.length} records`);
      }
      ctx.emit(
        { files: found.length, accepted, rejected },
        (r) => `${r.accepted} records from ${r.files} files imported${r.rejected ? `, ${r.rejected} rejected` : ""}`,
      );
    });
}
