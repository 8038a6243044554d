import { createReadStream } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import type { Command } from "commander";
import type { CliContext } from "../context.ts";
import { UsageError } from "../errors.ts";
import { examples } from "../options.ts";
import { formatBytes, uploadProgress } from "../upload-progress.ts";
import { type SparkAnalysisDto, sparkApi } from "./spark-client.ts";

interface EventLogFiles {
  files: { path: string; bytes: number }[];
  appStatus?: "finished" | "in_progress";
  defaultName: string;
}

const PART = /^events_(\d+)_/;
const CODEC_SUFFIX = /\.(zstd|zst|lz4|snappy|gz|lzf)$/;

/** A single event log, or a rolling `eventlog_v2_<appId>/` directory: its `events_<N>_*` parts in N order. */
async function eventLogFiles(path: string): Promise<EventLogFiles> {
  const info = await stat(path).catch((error: unknown) => {
    throw new UsageError(`cannot read ${path}: ${(error as Error).message}`);
  });
  const clean = (name: string) =>
    name
      .replace(/\.inprogress$/, "")
      .replace(CODEC_SUFFIX, "")
      .replace(/[^A-Za-z0-9._-]/g, "_")
      .slice(0, 128);
  if (!info.isDirectory()) return { files: [{ path, bytes: info.size }], defaultName: clean(basename(path)) };
  const names = await readdir(path);
  const parts = names.filter((n) => PART.test(n)).sort((a, b) => Number(PART.exec(a)?.[1]) - Number(PART.exec(b)?.[1]));
  if (parts.length === 0)
    throw new UsageError(
      `${path} is a directory without events_<N>_<appId> parts; pass an event log file or a rolling eventlog_v2_* directory`,
    );
  const status = names.find((n) => n.startsWith("appstatus_"));
  const files = await Promise.all(parts.map(async (n) => ({ path: join(path, n), bytes: (await stat(join(path, n))).size })));
  return {
    files,
    defaultName: clean(basename(path).replace(/^eventlog_v2_/, "")),
    ...(status ? { appStatus: status.endsWith(".inprogress") ? ("in_progress" as const) : ("finished" as const) } : {}),
  };
}

/** The parts one after the other as one body (Spark's codecs all read concatenated streams), counting bytes sent. */
function concatenated(files: { path: string }[], onBytes: (sent: number) => void): ReadableStream<Uint8Array> {
  let sent = 0;
  async function* all(): AsyncGenerator<Uint8Array> {
    for (const file of files) {
      for await (const chunk of createReadStream(file.path, { highWaterMark: 256 * 1024 })) {
        sent += (chunk as Buffer).length;
        onBytes(sent);
        yield chunk as Buffer;
      }
    }
  }
  const iterator = all();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await iterator.next();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    async cancel() {
      await iterator.return(undefined);
    },
  });
}

const ICON = { critical: "✖", warning: "!", info: "i" } as const;

export function renderSparkAnalysis(view: SparkAnalysisDto, top = 5): string {
  const { app, counts, findings, complete } = view.analysis;
  const lines = [
    `${app.appName ?? "(no name)"} (${app.appId ?? "no app id"}), Spark ${app.sparkVersion ?? app.databricksRuntime ?? "?"}` +
      `${app.durationMs !== null ? `, ${(app.durationMs / 1000).toFixed(0)} s` : ""}${complete ? "" : ", INCOMPLETE log"}`,
    `${counts.jobsStarted} jobs, ${counts.taskEnds} tasks, ${counts.lines} lines${counts.malformed ? `, ${counts.malformed} malformed` : ""}`,
    "",
  ];
  if (findings.length === 0) lines.push("No findings: nothing looks wrong.");
  for (const f of findings.slice(0, top)) {
    lines.push(`${ICON[f.severity]} ${f.severity.toUpperCase()}  ${f.title}`);
    lines.push(`    ${f.advice}${f.setting ? ` (${f.setting})` : ""}`);
  }
  if (findings.length > top) lines.push(`… and ${findings.length - top} more (stagegate -o json spark upload … shows all)`);
  const c = view.comparison;
  if (c) {
    const delta = c.durationMs.deltaMs;
    lines.push(
      "",
      `vs previous run ${c.previousRunId}: ${delta === null ? "duration unknown" : `${delta >= 0 ? "+" : ""}${(delta / 1000).toFixed(0)} s`}, ${c.slowerStages.length} slower stages, ${c.newFindings.length} new findings`,
    );
  }
  return lines.join("\n");
}

export function registerSparkUpload(spark: Command, ctx: CliContext): void {
  spark
    .command("upload")
    .description("analyse a Spark event log (file or rolling eventlog_v2_* directory) on a run and print its top findings")
    .argument("<run>", "run id")
    .argument("<path>", "event log file (plain, .zstd, .lz4, .snappy, .gz) or rolling eventlog_v2_<appId>/ directory")
    .option("--name <name>", "name of the analysis on the run (default: from the file or directory name)")
    .addHelpText(
      "after",
      examples(
        "stagegate spark upload run_01jd… /dbfs/cluster-logs/eventlog/app-20250305192829-0000.zstd",
        "stagegate spark upload run_01jd… spark-events/eventlog_v2_local-1623876083964 --name driver",
      ),
    )
    .action(async (runId: string, path: string, options: { name?: string }) => {
      const log = await eventLogFiles(path);
      const name = options.name ?? log.defaultName;
      const total = log.files.reduce((sum, f) => sum + f.bytes, 0);
      const progress = uploadProgress(ctx.io.stderr, total);
      progress.file(basename(path));
      let view: SparkAnalysisDto;
      try {
        view = await sparkApi(ctx).upload(
          runId,
          name,
          concatenated(log.files, (sent) => progress.update(sent)),
          log.appStatus,
        );
      } finally {
        progress.stop();
      }
      ctx.note(
        `analysed ${path} (${formatBytes(total)}${log.files.length > 1 ? `, ${log.files.length} parts` : ""}) as "${name}" on run ${runId}`,
      );
      ctx.emit(view, (v) => renderSparkAnalysis(v));
    });
}
