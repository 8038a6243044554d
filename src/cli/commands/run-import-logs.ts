import { statSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import type { Command } from "commander";
import type { CliContext } from "../context.ts";
import { UsageError } from "../errors.ts";
import { examples } from "../options.ts";
import { runsApi } from "./run-client.ts";
import { storedUids } from "./run-logs.dedupe.ts";
import { nodeOfPath, parseSparkLog } from "./run-logs.parser.ts";
import { ArchiveError, folderFiles, type LogFiles, zipFiles } from "./run-logs.sources.ts";

const BATCH = 5000;

/** The files to import, and the folder names above them that say whose they are (`…/executor` imported on its own). */
async function open(source: string): Promise<LogFiles & { root: string }> {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(source).isDirectory();
  } catch (error) {
    throw new UsageError(`cannot read ${source}: ${(error as Error).message}`, { cause: error });
  }
  try {
    if (!isDirectory) return { ...(await zipFiles(source)), root: "" };
    const absolute = resolve(source);
    return { ...folderFiles(source), root: `${basename(dirname(absolute))}/${basename(absolute)}` };
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
    .option("--force", "send records again even when the run already has them (from an earlier import)", false)
    .addHelpText(
      "after",
      examples(
        "databricks fs cp -r dbfs:/cluster-logs/0501-abc ./logs && stagegate run import-logs run_01jd… ./logs",
        "stagegate run import-logs run_01jd… ./0501-abc-cluster-logs.zip",
      ),
    )
    .addHelpText(
      "after",
      "\nImporting the same logs again sends only records the run does not have yet (each record carries a stable\nlog.record.uid), so a live cluster's folder can be imported again later.\n",
    )
    .action(async (runId: string, source: string, options: { force: boolean }) => {
      const found = await open(source);
      try {
        await importFiles(ctx, { runId, found, force: options.force });
      } catch (error) {
        throw error instanceof ArchiveError ? new UsageError(error.message, { cause: error }) : error;
      } finally {
        found.close();
      }
    });
}

async function importFiles(
  ctx: CliContext,
  input: { runId: string; found: LogFiles & { root: string }; force: boolean },
): Promise<void> {
  const { runId, found, force } = input;
  const api = runsApi(ctx);
  let accepted = 0;
  let rejected = 0;
  let skipped = 0;
  for (const file of found.files) {
    const text = (await file.read()).toString("utf8");
    const node = nodeOfPath(found.root ? `${found.root}/${file.name}` : file.name);
    const parsed = parseSparkLog(text, { file: file.name, node, ...(file.mtime ? { mtime: file.mtime } : {}) });
    const stored = force ? new Set<string>() : await storedUids(api, runId, node, parsed);
    const records = parsed.filter((r) => !stored.has(r["log.record.uid"]));
    skipped += parsed.length - records.length;
    for (let i = 0; i < records.length; i += BATCH) {
      const batch = records.slice(i, i + BATCH).map((r) => JSON.stringify(r));
      const answer = await api.pushLogs(runId, batch.join("\n"));
      accepted += answer.accepted;
      rejected += answer.rejected;
    }
    const already = parsed.length - records.length;
    ctx.note(`${file.name} (${node}): ${records.length} records${already ? `, ${already} already imported` : ""}`);
  }
  ctx.emit(
    { files: found.files.length, accepted, rejected, skipped },
    (r) =>
      `${r.accepted} records from ${r.files} files imported${r.rejected ? `, ${r.rejected} rejected` : ""}${
        r.skipped ? `, ${r.skipped} already in the run skipped` : ""
      }`,
  );
}
