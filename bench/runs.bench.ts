import { loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { runKeyOf } from "../src/db/schema.runs.ts";
import { encodeProtobuf, OtlpTypes } from "../src/features/runs/otlp.proto.ts";
import type { CreatedRun } from "../src/features/runs/runs.types.ts";
import { type BenchApp, startBenchApp } from "./lib/bench-app.ts";
import { intFromEnv, listFromEnv } from "./lib/env.ts";
import { percentile } from "./lib/measure.ts";
import { markdownTable } from "./lib/report.ts";

/**
 * `npm run bench -- runs`: run observability on the embedded database (a SQLite file, WAL), in one process.
 *  1. ingest: NDJSON batches of 10k records through `POST /api/v1/runs/{id}/logs` (app.inject), against a baseline of
 *     only JSON.parse-ing the same batches, then again until a search has the full-text index caught up (SQLite indexes
 *     after the ingest transaction), with the process's CPU time; then OTLP protobuf batches of 10k through `POST /v1/logs`.
 *  2. queries: with BENCH_RECORDS in the store (spread over 10 runs × 8 nodes; one run holds a tenth), the last 1,000
 *     lines of one run (merged and one node) and a full-text query over that run, p95 over BENCH_ITERATIONS.
 *  3. writers: BENCH_WRITERS concurrent HTTP writers for BENCH_WRITERS_S seconds against the listening server, each
 *     record with a unique id; afterwards every acknowledged record must be stored exactly once.
 * Knobs: BENCH_INGEST_BATCHES (30; the first is the warm-up), BENCH_RECORDS (2,000,000), BENCH_ITERATIONS (50),
 * BENCH_WRITERS (500), BENCH_WRITERS_S (30), BENCH_ONLY (ingest,queries,writers).
 */

const BATCH = 10_000;
const TARGET_INGEST = 100_000;
const TARGET_OTLP_RATIO = 2;
const TARGET_TAIL_P95_MS = 50;
const TARGET_FTS_P95_MS = 200;
const log = (message: string): void => console.error(message);
const load = (): string =>
  loadavg()
    .map((v) => v.toFixed(2))
    .join(" / ");

const WORDS = ["loading", "shard", "epoch", "gradient", "checkpoint", "allreduce", "batch", "tensor", "queue", "cache"];

function ndjsonBatch(start: number, nodes: number, t0: number): string {
  const lines: string[] = [];
  for (let i = start; i < start + BATCH; i++) {
    const level = i % 97 === 0 ? "error" : i % 13 === 0 ? "warn" : "info";
    const word = WORDS[i % WORDS.length];
    const rare = i % 10_000 === 7 ? " stragglerdetected" : "";
    lines.push(
      JSON.stringify({
        ts: new Date(t0 + i).toISOString(),
        level,
        node: `worker-${i % nodes}`,
        msg: `step ${i} ${word} took ${i % 1000} ms on rank ${i % nodes}${rare}`,
        step: i,
      }),
    );
  }
  return lines.join("\n");
}

function otlpBatch(start: number, runId: string, t0: number): Uint8Array {
  const logRecords = [];
  for (let i = start; i < start + BATCH; i++) {
    logRecords.push({
      timeUnixNano: String(BigInt(t0 + i) * 1_000_000n),
      severityNumber: i % 97 === 0 ? 17 : 9,
      body: { stringValue: `step ${i} ${WORDS[i % WORDS.length]} took ${i % 1000} ms` },
      attributes: [{ key: "step", value: { intValue: i } }],
    });
  }
  return encodeProtobuf(OtlpTypes.logsRequest, {
    resourceLogs: [
      {
        resource: {
          attributes: [
            { key: "host.name", value: { stringValue: "otlp-worker" } },
            { key: "stagegate.run.id", value: { stringValue: runId } },
          ],
        },
        scopeLogs: [{ logRecords }],
      },
    ],
  });
}

async function createRun(b: BenchApp, name: string): Promise<CreatedRun> {
  const res = await b.app.http.inject({
    method: "POST",
    url: "/api/v1/projects/bench/runs",
    headers: { authorization: `Bearer ${b.token}` },
    payload: { name },
  });
  if (res.statusCode !== 201) throw new Error(`create run: ${res.statusCode} ${res.body}`);
  return res.json<CreatedRun>();
}

async function ingestNdjson(b: BenchApp, run: CreatedRun, body: string): Promise<number> {
  const res = await b.app.http.inject({
    method: "POST",
    url: `/api/v1/runs/${run.id}/logs`,
    headers: { authorization: `Bearer ${run.ingestToken}`, "content-type": "application/x-ndjson" },
    payload: body,
  });
  if (res.statusCode !== 200) throw new Error(`ingest: ${res.statusCode} ${res.body}`);
  return res.json<{ accepted: number }>().accepted;
}

interface Row {
  scenario: string;
  value: string;
  ratio: string;
  target: string;
  verdict: string;
}

const verdict = (ok: boolean) => (ok ? "PASS" : "FAIL");

async function ingestPart(b: BenchApp, rows: Row[]): Promise<void> {
  const batches = intFromEnv("BENCH_INGEST_BATCHES", { fallback: 30, min: 2 });
  const t0 = Date.now() - 3_600_000;
  const bodies = Array.from({ length: batches }, (_, i) => ndjsonBatch(i * BATCH, 8, t0));
  let started = performance.now();
  let parsed = 0;
  for (const body of bodies) for (const line of body.split("\n")) parsed += JSON.parse(line) ? 1 : 0;
  const parseRate = parsed / ((performance.now() - started) / 1000);

  const run = await createRun(b, "ingest");
  await ingestNdjson(b, run, bodies[0] ?? ""); // warm-up: prepared statements, JIT
  await search(b, run.id); // and the full-text index of the warm-up batch
  started = performance.now();
  const cpu = process.cpuUsage();
  let stored = 0;
  for (const body of bodies.slice(1)) stored += await ingestNdjson(b, run, body);
  const ndjsonMs = performance.now() - started;
  const ndjsonRate = stored / (ndjsonMs / 1000);
  // SQLite adds records to the full-text index after their transaction; a search indexes whatever is left first.
  await search(b, run.id);
  const indexedRate = stored / ((performance.now() - started) / 1000);
  const used = process.cpuUsage(cpu);
  const cpuRate = stored / ((used.user + used.system) / 1e6);

  const otlpRun = await createRun(b, "ingest-otlp");
  const protos = Array.from({ length: batches }, (_, i) => otlpBatch(i * BATCH, otlpRun.id, t0));
  started = performance.now();
  for (const proto of protos) {
    const res = await b.app.http.inject({
      method: "POST",
      url: "/v1/logs",
      headers: { authorization: `Bearer ${otlpRun.ingestToken}`, "content-type": "application/x-protobuf" },
      payload: Buffer.from(proto),
    });
    if (res.statusCode !== 200 || res.rawPayload.length > 0) throw new Error(`otlp: ${res.statusCode} ${res.body}`);
  }
  const otlpRate = (batches * BATCH) / ((performance.now() - started) / 1000);
  rows.push(
    {
      scenario: "JSON.parse of the NDJSON (baseline)",
      value: `${Math.round(parseRate)} rec/s`,
      ratio: "1.00×",
      target: "",
      verdict: "",
    },
    {
      scenario: "NDJSON ingest, 10k batches",
      value: `${Math.round(ndjsonRate)} rec/s`,
      ratio: `${(parseRate / ndjsonRate).toFixed(2)}× slower`,
      target: `≥ ${TARGET_INGEST} rec/s`,
      verdict: verdict(ndjsonRate >= TARGET_INGEST),
    },
    {
      scenario: "NDJSON ingest + full-text index caught up",
      value: `${Math.round(indexedRate)} rec/s`,
      ratio: `${Math.round(cpuRate)} rec per CPU-second`,
      target: "",
      verdict: "",
    },
    {
      scenario: "OTLP protobuf ingest, 10k batches",
      value: `${Math.round(otlpRate)} rec/s`,
      ratio: `${(ndjsonRate / otlpRate).toFixed(2)}× of NDJSON time`,
      target: `within ${TARGET_OTLP_RATIO}× of NDJSON`,
      verdict: verdict(ndjsonRate / otlpRate <= TARGET_OTLP_RATIO),
    },
  );
}

async function search(b: BenchApp, runId: string): Promise<void> {
  const url = `/api/v1/runs/${runId}/logs?q=stragglerdetected&limit=1`;
  const res = await b.app.http.inject({ method: "GET", url, headers: { authorization: `Bearer ${b.token}` } });
  if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body}`);
}

async function timed(b: BenchApp, url: string, iterations: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const started = performance.now();
    const res = await b.app.http.inject({ method: "GET", url, headers: { authorization: `Bearer ${b.token}` } });
    samples.push(performance.now() - started);
    if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body}`);
  }
  return samples;
}

async function queriesPart(b: BenchApp, rows: Row[]): Promise<void> {
  const total = intFromEnv("BENCH_RECORDS", { fallback: 2_000_000, min: 100_000 });
  const iterations = intFromEnv("BENCH_ITERATIONS", { fallback: 50, min: 5 });
  const runs: CreatedRun[] = [];
  for (let i = 0; i < 10; i++) runs.push(await createRun(b, `query-${i}`));
  const t0 = Date.now() - 20 * 86_400_000;
  const started = performance.now();
  for (let done = 0; done < total; done += BATCH) {
    const run = runs[(done / BATCH) % runs.length] as CreatedRun;
    await ingestNdjson(b, run, ndjsonBatch(done, 8, t0));
    if ((done / BATCH) % 50 === 49)
      log(`  seeded ${done + BATCH} records (${Math.round((performance.now() - started) / 1000)} s)`);
  }
  const target = runs[0] as CreatedRun;
  const base = `/api/v1/runs/${target.id}/logs`;
  const merged = await timed(b, `${base}?order=desc&limit=1000`, iterations);
  const oneNode = await timed(b, `${base}?order=desc&limit=1000&node=worker-3`, iterations);
  const rare = await timed(b, `${base}?q=stragglerdetected&limit=1000`, iterations);
  const common = await timed(b, `${base}?q=checkpoint%20gradient&limit=1000`, iterations);
  const perRun = Math.round(total / runs.length);
  const p95 = (s: number[]) => percentile(s, 0.95);
  const row = (scenario: string, s: number[], limit: number): Row => ({
    scenario,
    value: `p50 ${percentile(s, 0.5).toFixed(1)} ms, p95 ${p95(s).toFixed(1)} ms`,
    ratio: "",
    target: `p95 < ${limit} ms`,
    verdict: verdict(p95(s) < limit),
  });
  rows.push(
    row(`last 1,000 lines, merged (${total} in store, ${perRun} in the run)`, merged, TARGET_TAIL_P95_MS),
    row("last 1,000 lines, one node", oneNode, TARGET_TAIL_P95_MS),
    row(`full-text, rare word over the run's ${perRun}`, rare, TARGET_FTS_P95_MS),
    row("full-text, two common words (first 1,000 hits)", common, TARGET_FTS_P95_MS),
  );
}

async function writersPart(b: BenchApp, rows: Row[]): Promise<void> {
  const writers = intFromEnv("BENCH_WRITERS", { fallback: 500, min: 1 });
  const seconds = intFromEnv("BENCH_WRITERS_S", { fallback: 30, min: 1 });
  const base = await b.app.http.listen({ port: 0, host: "127.0.0.1" });
  const run = await createRun(b, "writers");
  const acknowledged = new Set<string>();
  let failed = 0;
  const until = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      for (let seq = 0; Date.now() < until; seq++) {
        const ids = Array.from({ length: 10 }, (_, i) => `w${w}-${seq}-${i}`);
        const body = ids.map((id) => JSON.stringify({ node: `writer-${w % 16}`, msg: `record ${id}`, rid: id })).join("\n");
        try {
          const res = await fetch(`${base}/api/v1/runs/${run.id}/logs`, {
            method: "POST",
            headers: { authorization: `Bearer ${run.ingestToken}`, "content-type": "application/x-ndjson" },
            body,
          });
          if (res.ok && ((await res.json()) as { accepted: number }).accepted === ids.length) {
            for (const id of ids) acknowledged.add(id);
          } else failed++;
        } catch {
          failed++;
        }
      }
    }),
  );
  const stored = await b.db.kysely
    .selectFrom("run_logs")
    .select(["attrs_json"])
    .where("run_key", "=", runKeyOf(run.id))
    .execute();
  const seen = new Map<string, number>();
  for (const row of stored) {
    const id = (JSON.parse(row.attrs_json ?? "{}") as { rid?: string }).rid ?? "";
    seen.set(id, (seen.get(id) ?? 0) + 1);
  }
  const missing = [...acknowledged].filter((id) => !seen.has(id)).length;
  const twice = [...seen.values()].filter((n) => n > 1).length;
  rows.push({
    scenario: `${writers} concurrent writers for ${seconds} s (10 records per request)`,
    value: `${acknowledged.size} acknowledged, ${stored.length} stored, ${failed} requests refused or failed`,
    ratio: `${Math.round(acknowledged.size / seconds)} rec/s`,
    target: "every acknowledged record stored once",
    verdict: verdict(missing === 0 && twice === 0),
  });
  if (missing || twice) log(`  missing: ${missing}, stored twice: ${twice}`);
}

export async function run(): Promise<void> {
  const only = listFromEnv("BENCH_ONLY");
  const wants = (part: string) => !only || only.includes(part);
  log(`runs bench on ${process.version}, load ${load()}`);
  const b = await startBenchApp();
  try {
    const res = await b.app.http.inject({
      method: "PUT",
      url: "/api/v1/projects/bench/config",
      headers: { authorization: `Bearer ${b.token}`, "content-type": "application/yaml" },
      payload: 'environments:\n  - name: quant\n    executor: { type: shell, config: { command: ["true"] } }\n',
    });
    if (res.statusCode !== 200) throw new Error(`config: ${res.statusCode} ${res.body}`);
    const rows: Row[] = [];
    if (wants("ingest")) {
      log("ingest…");
      await ingestPart(b, rows);
    }
    if (wants("queries")) {
      log("queries (seeding first)…");
      await queriesPart(b, rows);
    }
    if (wants("writers")) {
      log("writers…");
      await writersPart(b, rows);
    }
    console.log(
      markdownTable(
        ["scenario", "measured", "ratio", "target", "verdict"],
        rows.map((r) => [r.scenario, r.value, r.ratio, r.target, r.verdict]),
      ),
    );
    log(`load after: ${load()}`);
  } finally {
    await b.close();
  }
}
