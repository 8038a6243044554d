import { Worker } from "node:worker_threads";

/** One autocannon run, as plain data so it can cross into the load worker. */
export interface LoadSpec {
  origin: string;
  method: "GET" | "POST";
  /** Paths requested in turn across all connections; one path means every request is the same. */
  paths: string[];
  body?: string;
  headers: Record<string, string>;
  connections: number;
  durationSeconds: number;
}

/** What both load shapes report. */
interface LatencySummary {
  /** Latencies in ms. */
  p50: number;
  p99: number;
  max: number;
  total: number;
  non2xx: number;
  /** Requests that got no answer at all. */
  errors: number;
}

/** Closed loop (autocannon): latencies in whole milliseconds. */
export interface LoadSummary extends LatencySummary {
  requestsPerSecond: number;
  /** Of `errors`, requests with no answer within autocannon's 10 s timeout. */
  timeouts: number;
  statusCounts: Record<string, number>;
}

/** Open-loop load: `rate` requests per second on a fixed schedule, whatever the answers do (see paced.worker.ts). */
export interface PacedSpec extends LoadSpec {
  rate: number;
}

/** Open loop: latencies from each request's scheduled start. */
export interface PacedSummary extends LatencySummary {
  /** Requests per second offered, and answered over the whole run (below `rate` when the server fell behind). */
  rate: number;
  achieved: number;
}

/**
 * Runs a load worker in a worker thread of this process. The load generator then has its own event loop (and, on a
 * 2-core machine, its own core) instead of stealing turns from the server's loop and inflating every latency it reports.
 * The worker is TypeScript, so it boots through tsx's API: Node 20 does not apply `--import tsx` to workers.
 */
function inWorker<T>(file: string, data: unknown): Promise<T> {
  const entry = new URL(file, import.meta.url).href;
  const tsx = import.meta.resolve("tsx/esm/api");
  const boot = `import(${JSON.stringify(tsx)}).then((tsx) => tsx.tsImport(${JSON.stringify(entry)}, ${JSON.stringify(entry)}))`;
  return new Promise((resolve, reject) => {
    const worker = new Worker(boot, { eval: true, workerData: data });
    worker.once("message", (summary: T) => {
      resolve(summary);
      void worker.terminate();
    });
    worker.once("error", (error) => reject(new Error("the load worker failed", { cause: error })));
    // After a result this is a no-op: a settled promise ignores the reject.
    worker.once("exit", (code) => reject(new Error(`the load worker exited (code ${code}) without a result`)));
  });
}

/** Closed loop: `connections` autocannon clients, each sending its next request as soon as the last is answered. */
export function runLoad(spec: LoadSpec): Promise<LoadSummary> {
  return inWorker("./load.worker.ts", spec);
}

export function runPaced(spec: PacedSpec): Promise<PacedSummary> {
  return inWorker("./paced.worker.ts", spec);
}
