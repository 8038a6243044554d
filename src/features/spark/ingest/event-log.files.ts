import { createReadStream } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import type { SourceInfo, SparkAnalysis } from "../spark.types.ts";
import { type IngestOptions, SparkIngest } from "./spark-ingest.ts";

export interface RollingLog {
  appId: string;
  /** `events_<N>_<appId>[.codec]` in N order. */
  parts: string[];
  /** From `appstatus_<appId>` (finished) or `appstatus_<appId>.inprogress`; null when there is none. */
  appStatus: SourceInfo["appStatus"];
}

const PART = /^events_(\d+)_(.+?)(\.[a-z0-9]+)?$/;

/** Reads a rolling event log directory (`eventlog_v2_<appId>/`, Spark 3.0+ `spark.eventLog.rolling.enabled`). */
export async function readRollingDirectory(dir: string): Promise<RollingLog> {
  const names = await readdir(dir);
  const parts = names
    .map((name) => ({ name, match: PART.exec(name) }))
    .filter((p): p is { name: string; match: RegExpExecArray } => p.match !== null)
    .sort((a, b) => Number(a.match[1]) - Number(b.match[1]));
  const status = names.find((name) => name.startsWith("appstatus_"));
  const appId = basename(dir).replace(/^eventlog_v2_/, "");
  return {
    appId,
    parts: parts.map((p) => join(dir, p.name)),
    appStatus: status === undefined ? null : status.endsWith(".inprogress") ? "in_progress" : "finished",
  };
}

const CHUNK = 256 * 1024;

/** Analyses a file or a rolling directory on disk, streaming. */
export async function analyzePath(path: string, options: IngestOptions = {}): Promise<SparkAnalysis> {
  const ingest = new SparkIngest(options);
  if ((await stat(path)).isDirectory()) {
    const rolling = await readRollingDirectory(path);
    if (rolling.parts.length === 0) throw new Error(`${path} has no events_<N>_* parts`);
    for (const part of rolling.parts) await ingest.addPart(createReadStream(part, { highWaterMark: CHUNK }), basename(part));
    return ingest.finish(rolling.appStatus);
  }
  await ingest.addPart(createReadStream(path, { highWaterMark: CHUNK }), basename(path));
  return ingest.finish(path.endsWith(".inprogress") ? "in_progress" : null);
}
