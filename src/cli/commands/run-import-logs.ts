import { statSync } from "node:fs";
import type { Command } from "commander";
import type { CliContext } from "../context.ts";
import { UsageError } from "../errors.ts";
import { examples } from "../options.ts";
import { runsApi } from "./run-client.ts";
import { nodeOfPath, parseSparkLog } from "./run-logs.parser.ts";
import { ArchiveError, folderFiles, type LogFiles, zipFiles } from "./run-logs.sources.ts";

const BATCH = 5000;

async function open(source: string): Promise<LogFiles> {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(source).isDirectory();
  } catch (error) {
    throw new UsageError(`cannot read ${source}: ${(error as Error).message}`, { cause: error });
  }
  try {
    return isDirectory ? folderFiles(source) : await zipFiles(source);
  } catch (error) {
    throw new UsageError(
      isDirectory
        ? `cannot read the folder ${source}: ${(error as Error).message}`
        : `${(error as Error).message} (give a cluster-log folder or a .zip of one)`,
      { cause: error },
    );
  }
}

export function registerRunImportLogs(run: Command, ctx: CliContext): void {
  run
    .command("import-logs")
    .description(
      "import a Databricks/Spark cluster log folder or zip: driver stdout/stderr/log4j (also rotated .gz), executor stderr",
    )
    .argument("<run>", "run id")
    .argument("<dir|zip>", "the cluster log folder (e.g. a copy of dbfs:/cluster-logs/<cluster-id>) or a .zip of it")
    .addHelpText(
      "after",
      examples(
        "databricks fs cp -r dbfs:/cluster-logs/0501-abc ./logs && stagegate run import-logs run_01jd… ./logs",
        "stagegate run import-logs run_01jd… ./0501-abc-cluster-logs.zip",
      ),
    )
    .action(async (runId: string, source: string) => {
      const found = await open(source);
      try {
        await importFiles(ctx, runId, found);
      } catch (error) {
        throw error instanceof ArchiveError ? new UsageError(error.message, { cause: error }) : error;
      } finally {
        found.close();
      }
    });
}

async function importFiles(ctx: CliContext, runId: string, found: LogFiles): Promise<void> {
  const api = runsApi(ctx);
  let accepted = 0;
  let rejected = 0;
  for (const file of found.files) {
    const text = (await file.read()).toString("utf8");
    const records = parseSparkLog(text, { file: file.name, node: nodeOfPath(file.name) });
    for (let i = 0; i < records.length; i += BATCH) {
      const batch = records.slice(i, i + BATCH).map((r) => JSON.stringify(r));
      const answer = await api.pushLogs(runId, batch.join("\n"));
      accepted += answer.accepted;
      rejected += answer.rejected;
    }
    ctx.note(`${file.name}: ${records.length} records`);
  }
  ctx.emit(
    { files: found.files.length, accepted, rejected },
    (r) => `${r.accepted} records from ${r.files} files imported${r.rejected ? `, ${r.rejected} rejected` : ""}`,
  );
}
