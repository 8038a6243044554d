import type { Kysely } from "kysely";
import type { Database } from "../../db/schema.ts";
import type { Clock } from "../../shared/clock.ts";
import { insertLogLines, logSizes, omitLogLines } from "./deployment-logs.store.ts";
import type { LogLine } from "./deployments.types.ts";
import type { LogSink, LogStream } from "./executors/executor.types.ts";

const FLUSH_EVERY_MS = 200;
const FLUSH_AT_LINES = 500;

/**
 * A deployment's log: lines are buffered and written in batches; once the log outgrows `headBytes + tailBytes`, lines
 * after the head are dropped oldest-first so the start (what was run) and the end (why it failed) are always kept.
 */
export class DeploymentLogSink implements LogSink {
  readonly #db: Kysely<Database>;
  readonly #clock: Clock;
  readonly #deploymentId: string;
  readonly #headBytes: number;
  readonly #tailBytes: number;
  #buffer: LogLine[] = [];
  #seq = 0;
  #head = 0;
  /** Lines after the head, oldest first, with their sizes: candidates for dropping. */
  #tail: { seq: number; bytes: number }[] = [];
  #tailTotal = 0;
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> = Promise.resolve();
  #failure: unknown;

  private constructor(options: {
    db: Kysely<Database>;
    clock: Clock;
    deploymentId: string;
    headBytes: number;
    tailBytes: number;
  }) {
    this.#db = options.db;
    this.#clock = options.clock;
    this.#deploymentId = options.deploymentId;
    this.#headBytes = options.headBytes;
    this.#tailBytes = options.tailBytes;
  }

  /** Opens the log of a deployment, continuing after what an earlier run (or crashed process) already wrote. */
  static async open(options: {
    db: Kysely<Database>;
    clock: Clock;
    deploymentId: string;
    headBytes: number;
    tailBytes: number;
  }): Promise<DeploymentLogSink> {
    const sink = new DeploymentLogSink(options);
    for (const row of await logSizes(options.db, options.deploymentId)) sink.#account(row.seq, row.bytes);
    return sink;
  }

  #account(seq: number, bytes: number): void {
    this.#seq = Math.max(this.#seq, seq);
    if (this.#head + bytes <= this.#headBytes && this.#tail.length === 0) {
      this.#head += bytes;
      return;
    }
    this.#tail.push({ seq, bytes });
    this.#tailTotal += bytes;
  }

  write(stream: LogStream, line: string): void {
    const seq = this.#seq + 1;
    this.#seq = seq;
    this.#buffer.push({ seq, ts: this.#clock.now().toISOString(), stream, line });
    if (this.#buffer.length >= FLUSH_AT_LINES) void this.flush().catch(() => undefined);
    else this.#timer ??= setTimeout(() => void this.flush().catch(() => undefined), FLUSH_EVERY_MS);
  }

  flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const lines = this.#buffer;
    this.#buffer = [];
    this.#writing = this.#writing.then(async () => {
      if (lines.length > 0) await insertLogLines(this.#db, this.#deploymentId, lines);
      // Accounted only once stored, so trimming never targets lines still waiting in a buffer.
      for (const line of lines) this.#account(line.seq, Buffer.byteLength(line.line));
      await this.#trim();
    });
    return this.#writing.catch((error: unknown) => {
      this.#failure = error;
      this.#writing = Promise.resolve();
      throw new Error("could not store deployment log lines", { cause: error });
    });
  }

  /** An error of an earlier background flush, if any: surfaced so a log write failure is never silent. */
  get failure(): unknown {
    return this.#failure;
  }

  async #trim(): Promise<void> {
    if (this.#tailTotal <= this.#tailBytes) return;
    let lines = 0;
    let bytes = 0;
    const first = this.#tail[0];
    let last = first;
    while (this.#tailTotal > this.#tailBytes && this.#tail.length > 1) {
      const dropped = this.#tail.shift();
      if (!dropped) break;
      last = dropped;
      this.#tailTotal -= dropped.bytes;
      lines++;
      bytes += dropped.bytes;
    }
    if (!first || !last || lines === 0) return;
    await omitLogLines(this.#db, this.#deploymentId, {
      fromSeq: first.seq,
      toSeq: last.seq,
      lines,
      bytes,
      at: this.#clock.now().toISOString(),
    });
  }
}

export function formatLogLine(line: LogLine): string {
  return `${line.ts} ${line.stream} ${line.line}\n`;
}
