import { Agent, request } from "node:http";
import { parentPort, workerData } from "node:worker_threads";
import type { PacedSpec, PacedSummary } from "./load.ts";
import { percentile } from "./measure.ts";

/**
 * Open-loop load: requests start on a fixed schedule (`rate` per second, spread over every millisecond), whether or
 * not earlier ones have been answered, over at most `connections` keep-alive sockets. A request's latency runs from
 * its *scheduled* start, so time spent waiting for a free socket or a busy server counts (no coordinated omission).
 */
async function main(spec: PacedSpec): Promise<PacedSummary> {
  const origin = new URL(spec.origin);
  const agent = new Agent({ keepAlive: true, maxSockets: spec.connections });
  const latencies: number[] = [];
  let non2xx = 0;
  let errors = 0;
  let sent = 0;
  let next = 0;
  const send = (scheduled: number): Promise<void> =>
    new Promise((resolve) => {
      const path = spec.paths[next++ % spec.paths.length] ?? "/";
      const req = request(
        { agent, host: origin.hostname, port: origin.port, path, method: spec.method, headers: spec.headers },
        (res) => {
          res.resume();
          res.on("end", () => {
            latencies.push(performance.now() - scheduled);
            if (res.statusCode === undefined || res.statusCode < 200 || res.statusCode >= 300) non2xx++;
            resolve();
          });
        },
      );
      req.setTimeout(10_000, () => req.destroy(new Error("timeout")));
      req.on("error", () => {
        errors++;
        resolve();
      });
      req.end(spec.body);
    });

  const inFlight = new Set<Promise<void>>();
  const started = performance.now();
  const total = Math.round(spec.rate * spec.durationSeconds);
  await new Promise<void>((done) => {
    const tick = setInterval(() => {
      // Every request due by now, each stamped with the moment it was due.
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * spec.rate));
      for (; sent < due; sent++) {
        const scheduled = started + (sent / spec.rate) * 1000;
        const pending = send(scheduled).finally(() => inFlight.delete(pending));
        inFlight.add(pending);
      }
      if (sent >= total) {
        clearInterval(tick);
        done();
      }
    }, 1);
  });
  await Promise.all(inFlight);
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  return {
    rate: spec.rate,
    achieved: latencies.length / elapsed,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    max: Math.max(0, ...latencies),
    total: sent,
    non2xx,
    errors,
  };
}

parentPort?.postMessage(await main(workerData as PacedSpec));
