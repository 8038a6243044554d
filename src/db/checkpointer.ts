import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

/**
 * SQLite in WAL mode copies the log back into the database file (a checkpoint) on the commit that pushes the WAL past
 * `wal_autocheckpoint` pages, inside that commit, on the thread that commits: ours, the event loop. With big ingests
 * (a 200k-case JUnit upload, log batches) that commit blocked every request for 0.3–0.8 s.
 *
 * The checkpointer runs `PRAGMA wal_checkpoint(PASSIVE)` every `intervalMs` on a connection of its own in a worker
 * thread. PASSIVE never waits for or blocks readers and writers, so the event loop only pays for its own commits; the
 * next writer restarts the WAL from the beginning once a checkpoint has copied all of it. The caller raises
 * `wal_autocheckpoint` so commits on the event loop checkpoint only if the worker falls far behind.
 */
export interface Checkpointer {
  close(): Promise<void>;
}

// Plain JavaScript, evaluated in the worker: no TypeScript loader is needed there (tests, tsx and bundles alike).
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma("busy_timeout = 0");
const timer = setInterval(() => {
  try {
    db.pragma("wal_checkpoint(PASSIVE)");
  } catch {
    // Busy or locked: the next tick tries again.
  }
}, workerData.intervalMs);
parentPort.on("message", () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export function startCheckpointer(file: string, intervalMs: number): Checkpointer {
  const driver = createRequire(import.meta.url).resolve("better-sqlite3");
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file, driver, intervalMs } });
  worker.unref();
  let exited = false;
  const exit = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
  void exit.then(() => {
    exited = true;
  });
  // A failing checkpointer (e.g. the file was removed) must not take the server down; commits then checkpoint as before.
  worker.on("error", () => undefined);
  return {
    async close() {
      if (exited) return;
      worker.postMessage("close");
      const timer = setTimeout(() => void worker.terminate(), 2000);
      await exit;
      clearTimeout(timer);
    },
  };
}
