import { parentPort, workerData } from "node:worker_threads";
import autocannon from "autocannon";
import type { LoadSpec, LoadSummary } from "./load.ts";

/**
 * Off the main thread autocannon assumes it is one of its own workers and returns the raw result, histograms still
 * encoded, for its main thread to merge. `aggregateResult` is that merge; @types/autocannon does not declare it.
 */
const { aggregateResult } = autocannon as unknown as {
  aggregateResult(results: unknown[], options: autocannon.Options): autocannon.Result;
};

function summarise(result: autocannon.Result): LoadSummary {
  const statusCounts: Record<string, number> = {};
  for (const [code, stats] of Object.entries(result.statusCodeStats ?? {})) statusCounts[code] = stats.count ?? 0;
  return {
    // The per-second histogram is not part of a raw result, so the rate comes from the total and the elapsed time.
    requestsPerSecond: result.duration > 0 ? result.requests.total / result.duration : 0,
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    total: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCounts,
  };
}

async function main(spec: LoadSpec): Promise<LoadSummary> {
  const { paths } = spec;
  let next = 0;
  // One shared counter across connections, so the rotation covers every path instead of each connection starting at 0.
  const rotate: autocannon.Request = {
    setupRequest: (request) => ({ ...request, path: paths[next++ % paths.length] }),
  };
  const options: autocannon.Options = {
    url: `${spec.origin}${paths[0] ?? "/"}`,
    method: spec.method,
    headers: spec.headers,
    body: spec.body,
    connections: spec.connections,
    duration: spec.durationSeconds,
    requests: paths.length > 1 ? [rotate] : undefined,
  };
  const raw = await autocannon(options);
  return summarise(aggregateResult([raw], options));
}

parentPort?.postMessage(await main(workerData as LoadSpec));
