import type { LogSink } from "./executors/executor.types.ts";

/** Lines per batch sent to the run, and the longest a line waits for its batch. */
const BATCH_LINES = 1000;
const BATCH_MS = 1000;

/**
 * A step's log as the deployment keeps it (`inner`), whose command output (stdout and stderr; not stagegate's own
 * `system` lines) also goes to the deployment's run as log records, in batches, by `send`. The run is where the
 * step's output meets what its workers send, searchable and merged in time. Sits under the secrets' masking sink, so
 * what it sends is masked. A batch the run refuses (it ended long ago, the database is busy) is reported to `failed`
 * and dropped: the deployment's own log has every line.
 */
export function teeToRun(
  inner: LogSink,
  send: (lines: string[]) => Promise<void>,
  failed: (error: unknown) => void,
): LogSink & { close(): Promise<void> } {
  let lines: string[] = [];
  let sending = Promise.resolve();
  const drain = (): Promise<void> => {
    if (lines.length > 0) {
      const batch = lines;
      lines = [];
      sending = sending.then(() => send(batch)).catch(failed);
    }
    return sending;
  };
  const timer = setInterval(() => void drain(), BATCH_MS);
  timer.unref();
  return {
    write(stream, line) {
      inner.write(stream, line);
      if (stream === "system") return;
      lines.push(line);
      if (lines.length >= BATCH_LINES) void drain();
    },
    async flush() {
      await Promise.all([inner.flush(), drain()]);
    },
    /** Sends what is left; the step is over. */
    async close() {
      clearInterval(timer);
      await drain();
    },
  };
}
