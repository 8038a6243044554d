import type { App } from "../../src/app.ts";

export interface CpuCost {
  /** Mean CPU time (user + system) of the process per request, in µs. */
  cpuMicros: number;
  /** Mean wall time per request, in µs (requests run one after another). */
  wallMicros: number;
}

/**
 * What one request costs the server, measured in-process with `inject` one request at a time: no sockets, no load
 * generator sharing the cores, so the figure moves much less with machine load than a latency percentile does.
 * Capacity on one core ≈ 1e6 / cpuMicros requests/s.
 */
export async function cpuCost(
  app: App,
  request: { method: "GET" | "POST"; urls: string[]; headers: Record<string, string>; body?: string },
  count = 1000,
): Promise<CpuCost> {
  const send = (index: number) =>
    app.http.inject({
      method: request.method,
      url: request.urls[index % request.urls.length] ?? "/",
      headers: request.headers,
      ...(request.body === undefined ? {} : { payload: request.body }),
    });
  for (let i = 0; i < 50; i++) await send(i);
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  for (let i = 0; i < count; i++) await send(i);
  const wall = Number(process.hrtime.bigint() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return { cpuMicros: (used.user + used.system) / count, wallMicros: wall / count };
}
