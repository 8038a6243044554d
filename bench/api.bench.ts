import { availableParallelism } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { apiClient } from "./lib/api-client.ts";
import { type BenchServer, startBenchServer } from "./lib/bench-server.ts";
import { cpuCost } from "./lib/cpu-cost.ts";
import { intFromEnv, listFromEnv } from "./lib/env.ts";
import { type LoadSpec, type LoadSummary, type PacedSummary, runLoad, runPaced } from "./lib/load.ts";
import { type Measured, markdownTable, resultsTable, statusNotes } from "./lib/report.ts";
import { PROJECT, type Seeded, seed } from "./lib/seed.ts";

/**
 * `npm run bench -- api`: the real server on a temp SQLite file, seeded through its own API, under autocannon.
 * Knobs: BENCH_DURATION (s per scenario, 10), BENCH_CONNECTIONS (200), BENCH_WARMUP (s, 1; 0 = none),
 * BENCH_ONLY (comma-separated scenario keys; the healthz baseline always runs), BENCH_PACED_DURATION (s per open-loop
 * rate, 5; 0 = skip that table).
 */

/** The target from the issue; reported as PASS/FAIL per scenario, never as the exit code. */
const TARGET_P99_MS = 50;
const RELEASES = 2000;
const PROMOTIONS = 300;
const DEEP_PAGE = 30;
/** Open-loop rates, as fractions of the rate the same scenario reached closed-loop. */
const PACED_FRACTIONS = [0.25, 0.5, 0.75];

interface Scenario {
  key: string;
  label: string;
  method: LoadSpec["method"];
  paths: string[];
  body?: string;
}

function scenarios(seeded: Seeded): Scenario[] {
  const releases = `/api/v1/projects/${PROJECT}/releases?limit=50`;
  return [
    { key: "healthz", label: "GET /healthz (baseline)", method: "GET", paths: ["/healthz"] },
    { key: "releases", label: "list releases, page 1", method: "GET", paths: [releases] },
    {
      key: "releases-deep",
      label: `list releases, page ${DEEP_PAGE}`,
      method: "GET",
      paths: [`${releases}&cursor=${seeded.deepCursor}`],
    },
    {
      key: "deployments",
      label: "list deployments, page 1",
      method: "GET",
      paths: [`/api/v1/projects/${PROJECT}/deployments?limit=50`],
    },
    {
      key: "deployment",
      label: "get deployment",
      method: "GET",
      paths: seeded.deploymentIds.map((id) => `/api/v1/deployments/${id}`),
    },
    // Last: the only scenario that writes, and it leaves deploy jobs behind.
    {
      key: "promote",
      label: "promote to quant",
      method: "POST",
      paths: seeded.versions.map((v) => `/api/v1/projects/${PROJECT}/releases/${v}/promote`),
      body: JSON.stringify({ environment: "quant" }),
    },
  ];
}

/** Background deploys (and the auto-deploy check every release enqueues) would compete with the scenario measured next. */
async function waitForIdleJobs(server: BenchServer, timeoutMs = 120_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (let open = await server.openJobs(); open > 0; open = await server.openJobs()) {
    if (Date.now() > until) {
      console.error(`  ${open} jobs still open after ${timeoutMs / 1000} s; measuring anyway`);
      return;
    }
    await sleep(200);
  }
}

function loadSpec(server: BenchServer, scenario: Scenario, load: { connections: number; durationSeconds: number }): LoadSpec {
  const headers: Record<string, string> = { authorization: `Bearer ${server.token}` };
  if (scenario.body !== undefined) headers["content-type"] = "application/json";
  return { origin: server.origin, method: scenario.method, paths: scenario.paths, body: scenario.body, headers, ...load };
}

function selected(all: Scenario[]): Scenario[] {
  const only = listFromEnv("BENCH_ONLY");
  if (!only) return all;
  const unknown = only.filter((key) => !all.some((s) => s.key === key));
  if (unknown.length > 0) throw new Error(`BENCH_ONLY names ${unknown.join(", ")}; known: ${all.map((s) => s.key).join(", ")}`);
  // The baseline always runs: every ratio in the table is against it.
  return all.filter((s) => s.key === "healthz" || only.includes(s.key));
}

function printReport(measured: Measured[], baseline: LoadSummary): void {
  console.log(`\n${resultsTable(measured, { baseline, targetP99Ms: TARGET_P99_MS })}`);
  for (const note of statusNotes(measured)) console.log(`status codes — ${note}`);
  const first = measured.find((m) => m.scenario === "list releases, page 1")?.summary;
  const deep = measured.find((m) => m.scenario === `list releases, page ${DEEP_PAGE}`)?.summary;
  if (first && deep && first.p99 > 0) {
    console.log(`keyset pagination: page ${DEEP_PAGE} p99 / page 1 p99 = ${(deep.p99 / first.p99).toFixed(2)}`);
  }
}

/**
 * The closed-loop table measures a saturated server: with N clients each sending its next request the moment the last
 * is answered, latency is N ÷ throughput, whatever the code does. This one offers each scenario fixed request rates
 * (open loop, requests on a schedule over up to N sockets, latency from the scheduled start) at fractions of the
 * closed-loop rate, and prints the p99 at each: the latency a user sees while the server is busy but not flooded.
 */
async function printPaced(
  server: BenchServer,
  measured: Array<{ scenario: Scenario; saturated: LoadSummary }>,
  load: { connections: number; durationSeconds: number },
): Promise<void> {
  const rows: string[][] = [];
  // The baseline is left out: its closed-loop rate is more than this worker's HTTP client can offer.
  for (const { scenario, saturated } of measured.filter(({ scenario }) => scenario.key !== "healthz")) {
    const results: PacedSummary[] = [];
    for (const fraction of PACED_FRACTIONS) {
      await waitForIdleJobs(server);
      const rate = Math.max(1, Math.round(saturated.requestsPerSecond * fraction));
      console.error(`pacing ${scenario.label} at ${rate} req/s …`);
      results.push(await runPaced({ ...loadSpec(server, scenario, load), rate }));
    }
    const passing = results.filter((r) => r.p99 < TARGET_P99_MS && r.errors === 0 && r.non2xx === 0);
    const best = passing.at(-1);
    rows.push([
      scenario.label,
      saturated.requestsPerSecond.toFixed(0),
      ...results.map(
        (r) =>
          `${r.rate} → p50 ${r.p50.toFixed(1)}, p99 ${r.p99.toFixed(1)}${r.non2xx + r.errors > 0 ? ` (${r.non2xx + r.errors} bad)` : ""}`,
      ),
      best ? `${best.rate} req/s` : "none",
    ]);
  }
  console.log(
    `\nOpen loop, fixed request rates over up to ${load.connections} connections (ms from each request's scheduled start):`,
  );
  const header = [
    "scenario",
    "closed-loop req/s",
    ...PACED_FRACTIONS.map((f) => `${f * 100}% of it`),
    `highest with p99 < ${TARGET_P99_MS} ms`,
  ];
  console.log(markdownTable(header, rows));
}

/**
 * What each request costs the server in CPU, one request at a time in-process (no sockets, no load generator on the
 * cores), and the throughput that cost allows on one core. With N closed-loop clients, mean latency ≈ N ÷ throughput
 * (Little's law), so a p99 under the target needs at least N ÷ target requests/s: this table says whether the code could
 * get there on one core at all, which a latency percentile on a loaded machine cannot.
 */
async function printCpuCosts(server: BenchServer, list: Scenario[], connections: number): Promise<void> {
  const needed = Math.ceil(connections / (TARGET_P99_MS / 1000));
  const rows: string[][] = [];
  for (const scenario of list) {
    await waitForIdleJobs(server);
    const headers: Record<string, string> = { authorization: `Bearer ${server.token}` };
    if (scenario.body !== undefined) headers["content-type"] = "application/json";
    const cost = await cpuCost(server.app, { method: scenario.method, urls: scenario.paths, headers, body: scenario.body });
    const capacity = 1e6 / cost.cpuMicros;
    rows.push([scenario.label, cost.cpuMicros.toFixed(0), capacity.toFixed(0), capacity >= needed ? "yes" : "no"]);
  }
  console.log(
    `\nCPU per request, in-process, one at a time (${connections} clients need ≥ ${needed} req/s for p99 < ${TARGET_P99_MS} ms):`,
  );
  console.log(markdownTable(["scenario", "CPU µs/request", "req/s on one core", `≥ ${needed} req/s`], rows));
}

export async function run(): Promise<void> {
  const durationSeconds = intFromEnv("BENCH_DURATION", { fallback: 10, min: 1 });
  const connections = intFromEnv("BENCH_CONNECTIONS", { fallback: 200, min: 1 });
  const warmupSeconds = intFromEnv("BENCH_WARMUP", { fallback: 1, min: 0 });
  const pacedSeconds = intFromEnv("BENCH_PACED_DURATION", { fallback: 5, min: 0 });
  const server = await startBenchServer();
  try {
    console.error(`server ${server.origin} on ${server.database}`);
    console.error(`node ${process.version}, ${availableParallelism()} cores; ${connections} connections × ${durationSeconds} s`);
    const started = Date.now();
    const seeded = await seed(apiClient(server.origin, server.token), {
      releases: RELEASES,
      promotions: PROMOTIONS,
      deepPage: DEEP_PAGE,
    });
    await waitForIdleJobs(server);
    console.error(
      `seeded ${seeded.versions.length} releases and ${seeded.deploymentIds.length} deployments in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );

    const measured: Measured[] = [];
    const saturated: Array<{ scenario: Scenario; saturated: LoadSummary }> = [];
    for (const scenario of selected(scenarios(seeded))) {
      // A short untimed pass first, so the table shows a warm JIT and warm SQLite page cache, not start-up.
      if (warmupSeconds > 0) await runLoad(loadSpec(server, scenario, { connections, durationSeconds: warmupSeconds }));
      await waitForIdleJobs(server);
      console.error(`running ${scenario.label} …`);
      const summary = await runLoad(loadSpec(server, scenario, { connections, durationSeconds }));
      measured.push({ scenario: scenario.label, summary });
      saturated.push({ scenario, saturated: summary });
    }
    const baseline = measured[0]?.summary;
    if (baseline) printReport(measured, baseline);
    if (pacedSeconds > 0) await printPaced(server, saturated, { connections, durationSeconds: pacedSeconds });
    await printCpuCosts(server, selected(scenarios(seeded)), connections);
  } finally {
    await server.close();
  }
}
