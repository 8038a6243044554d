import { createReadStream } from "node:fs";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { SaxesParser } from "saxes";
import { parseLcov } from "../src/features/reports/parsers/coverage/lcov.parser.ts";
import { parseJUnit } from "../src/features/reports/parsers/junit.parser.ts";
import { type BenchApp, startBenchApp } from "./lib/bench-app.ts";
import { intFromEnv, listFromEnv } from "./lib/env.ts";
import { collectGarbage, duration, MiB, measure, median, mib, percentile, type Timed } from "./lib/measure.ts";
import { markdownTable } from "./lib/report.ts";
import { type JUnitFixture, type LcovFixture, writeJUnit, writeLcov } from "./lib/report-fixtures.ts";

/**
 * `npm run bench -- reports`: report ingest and the report page on large inputs, in one process.
 *  1. JUnit XML (~50 MiB, 200k cases): bare saxes parse (baseline), `parseJUnit` alone, and the real ingest path
 *     through the reports service into a SQLite file (create run → upload → complete), with peak RSS.
 *  2. LCOV (~100 MB): readline line count (baseline), `parseLcov` alone, ingest through the service.
 *  3. The report page's queries on those runs through `app.http.inject`, p50/p95.
 * Knobs: BENCH_REPEAT (runs of each baseline/parser step, median reported; 3), BENCH_ITERATIONS (requests per query; 50),
 * BENCH_QUERY_BUDGET (s per query after which it stops once it has 10 samples; 30),
 * BENCH_BIG=1 (also ingest a ~250 MiB JUnit file; off by default, it takes minutes), BENCH_ONLY (junit,lcov,queries,big;
 * queries needs the runs of junit and lcov, so it runs those too),
 * BENCH_KEEP_FILES=1 (keep the generated files in $TMPDIR/stagegate-reports-bench and reuse them next time).
 */

const TARGET_JUNIT_RATIO = 1.5;
const TARGET_LCOV_RATIO = 2;
const TARGET_RSS_BYTES = 150 * 1000 * 1000;
const TARGET_P95_MS = 50;
const SEED = 20261125;
/** Bytes per read: what the issue asks for, and what fs streams use by default. */
const CHUNK = 64 * 1024;
/** Bumped whenever a generator changes, so kept files of an older shape are not reused. */
const FIXTURE_VERSION = 1;
const PROJECT = "reports";
const CONFIG_YAML = `project: ${PROJECT}
name: Reports bench
environments:
  - name: quant
    executor: { type: shell, config: { command: ["true"] } }
`;
const PARTS = ["junit", "lcov", "queries", "big"] as const;
type Part = (typeof PARTS)[number];

const MB = (bytes: number): string => `${(bytes / 1e6).toFixed(0)} MB`;
const verdict = (ok: boolean): string => (ok ? "PASS" : "FAIL");
const log = (message: string): void => console.error(message);
/** Other work on the machine skews every number here: the 1/5/15-minute load averages go into the output. */
const load = (): string =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(" / ");

// ─── fixtures ────────────────────────────────────────────────────────────────

/**
 * Generates `name` once into the fixture dir (via a .partial file, with what the generator returned in `name.json`),
 * or reuses both when BENCH_KEEP_FILES kept them from an earlier run.
 */
async function fixture<T extends { path: string; bytes: number }>(
  dir: string,
  name: string,
  write: (path: string) => Promise<T>,
): Promise<T> {
  const path = join(dir, name);
  const kept = await readFile(`${path}.json`, "utf8").catch(() => undefined);
  const existing = await stat(path).catch(() => undefined);
  if (kept !== undefined && existing) {
    const described = JSON.parse(kept) as T;
    if (described.bytes === existing.size) {
      log(`reusing ${path} (${mib(existing.size)})`);
      return { ...described, path };
    }
  }
  const started = performance.now();
  const written = await write(`${path}.partial`);
  await rename(`${path}.partial`, path);
  await writeFile(`${path}.json`, JSON.stringify({ ...written, path }));
  log(`generated ${path}: ${mib(written.bytes)} in ${duration(performance.now() - started)}`);
  return { ...written, path };
}

const junitFixture = (dir: string, cases: number, suites: number): Promise<JUnitFixture> =>
  fixture(dir, `junit-${cases}x${suites}-seed${SEED}-v${FIXTURE_VERSION}.xml`, (path) =>
    writeJUnit(path, { cases, suites, seed: SEED }),
  );

const lcovFixture = (dir: string, records: number): Promise<LcovFixture> =>
  fixture(dir, `lcov-${records}-seed${SEED}-v${FIXTURE_VERSION}.info`, (path) => writeLcov(path, { records, seed: SEED }));

/** Reads the file once so every step below starts with it in the page cache. */
async function warmPageCache(path: string): Promise<void> {
  for await (const _chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) {
    // nothing: the read is the point
  }
}

// ─── the steps ───────────────────────────────────────────────────────────────

/** (a) for XML: saxes with default options (positions tracked, as the real parser has them) and one counting handler. */
async function saxesOnly(path: string): Promise<number> {
  const parser = new SaxesParser();
  let opened = 0;
  parser.on("opentag", () => {
    opened++;
  });
  for await (const chunk of createReadStream(path, { highWaterMark: CHUNK, encoding: "utf8" })) parser.write(chunk as string);
  parser.close();
  return opened;
}

async function junitOnly(path: string): Promise<{ cases: number; warnings: string[] }> {
  const batches = parseJUnit(createReadStream(path, { highWaterMark: CHUNK }));
  let cases = 0;
  for (;;) {
    const next = await batches.next();
    if (next.done) return { cases, warnings: next.value.warnings };
    cases += next.value.length;
  }
}

/** (a) for LCOV: readline's `line` events (faster than its async iterator, so the stricter baseline). */
async function readlineOnly(path: string): Promise<number> {
  const input = createReadStream(path, { highWaterMark: CHUNK });
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let count = 0;
  lines.on("line", () => {
    count++;
  });
  await new Promise<void>((resolve, reject) => {
    lines.once("close", resolve);
    input.once("error", reject);
  });
  return count;
}

async function lcovOnly(path: string): Promise<number> {
  let records = 0;
  for await (const batch of parseLcov(createReadStream(path, { highWaterMark: CHUNK }))) records += batch.length;
  return records;
}

interface Ingested {
  runId: string;
  cases: number;
  coverageFiles: number;
  warnings: string[];
  steps: { create: number; upload: number; complete: number };
}

let commits = 0;
/** A distinct commit per run, so each ingest is its own run and later runs on main have the earlier ones as base. */
const nextCommit = (): string => (0xbe000000 + ++commits).toString(16).padStart(40, "0");

/** (c): the real ingest path, as `PUT /report-runs/:id/files/:name` and `POST …/complete` drive it. */
async function ingest(bench: BenchApp, path: string, name: string): Promise<Ingested> {
  const reports = bench.app.services.reports;
  const t0 = performance.now();
  const run = await reports.create(PROJECT, { commitSha: nextCommit(), branch: "main" }, null);
  const t1 = performance.now();
  const file = await reports.upload(run.id, {
    name,
    format: "auto",
    gzip: false,
    body: createReadStream(path, { highWaterMark: CHUNK }),
  });
  const t2 = performance.now();
  await reports.complete(run.id);
  const t3 = performance.now();
  return {
    runId: run.id,
    cases: file.cases,
    coverageFiles: file.coverageFiles,
    warnings: file.warnings,
    steps: { create: t1 - t0, upload: t2 - t1, complete: t3 - t2 },
  };
}

/** A measured step with the process's CPU time (user + system) while it ran: other load on the box inflates it far less than wall time. */
type Step<T> = Timed<T> & { cpuMs: number };

async function measureCpu<T>(work: () => Promise<T>): Promise<Step<T>> {
  const from = process.cpuUsage();
  const timed = await measure(work);
  const cpu = process.cpuUsage(from);
  return { ...timed, cpuMs: (cpu.user + cpu.system) / 1000 };
}

/** `repeat` runs of a step, GC before each; the median run is the one reported. */
async function repeated<T>(label: string, repeat: number, work: () => Promise<T>): Promise<Step<T>> {
  const runs: Step<T>[] = [];
  for (let i = 0; i < repeat; i++) {
    collectGarbage();
    const result = await measureCpu(work);
    log(`  ${label} #${i + 1}: ${duration(result.ms)}, cpu ${duration(result.cpuMs)}`);
    runs.push(result);
  }
  const middle = median(runs.map((r) => r.ms));
  const chosen = runs.find((r) => r.ms === middle) ?? runs[0];
  if (!chosen) throw new Error("repeat must be ≥ 1");
  return chosen;
}

async function once<T>(label: string, work: () => Promise<T>): Promise<Step<T>> {
  collectGarbage();
  const result = await measureCpu(work);
  log(`  ${label}: ${duration(result.ms)}, cpu ${duration(result.cpuMs)}`);
  return result;
}

// ─── tables ──────────────────────────────────────────────────────────────────

interface StepRow {
  step: string;
  timed: Step<unknown>;
  bytes: number;
  baselineMs?: number;
  /** The baseline's CPU time, for the CPU ratio. */
  baselineCpuMs?: number;
  targetRatio?: number;
  note?: string;
}

function stepTable(rows: StepRow[]): string {
  const header = [
    "step",
    "wall",
    "MiB/s",
    "× baseline",
    "target",
    "cpu",
    "cpu × baseline",
    "RSS before → peak",
    "longest block",
    "note",
  ];
  const lines = rows.map(({ step, timed, bytes, baselineMs, baselineCpuMs, targetRatio, note }) => {
    const ratio = baselineMs ? timed.ms / baselineMs : undefined;
    const cpuRatio = baselineCpuMs ? timed.cpuMs / baselineCpuMs : undefined;
    const target = ratio === undefined || targetRatio === undefined ? "—" : `≤ ${targetRatio}×: ${verdict(ratio <= targetRatio)}`;
    return [
      step,
      duration(timed.ms),
      (bytes / MiB / (timed.ms / 1000)).toFixed(1),
      ratio === undefined ? "1.0×" : `${ratio.toFixed(2)}×`,
      target,
      duration(timed.cpuMs),
      cpuRatio === undefined ? "1.0×" : `${cpuRatio.toFixed(2)}×`,
      `${MB(timed.memory.before)} → ${MB(timed.memory.peak)}`,
      `${timed.memory.blockedMs.toFixed(0)} ms`,
      note ?? "",
    ];
  });
  return markdownTable(header, lines);
}

function rssLine(label: string, timed: Timed<unknown>): string {
  const { before, peak } = timed.memory;
  return `peak RSS during ${label}: ${MB(peak)} (process before: ${MB(before)}, +${MB(peak - before)}) — target ≤ ${MB(TARGET_RSS_BYTES)}: ${verdict(peak <= TARGET_RSS_BYTES)}`;
}

const ingestNote = (i: Ingested): string =>
  `create ${i.steps.create.toFixed(0)} ms, upload ${duration(i.steps.upload)}, complete ${duration(i.steps.complete)}`;

// ─── part 1: JUnit ───────────────────────────────────────────────────────────

interface JUnitRuns {
  fixture: JUnitFixture;
  /** First ingest: the base the second one is compared with on the report page. */
  base: Ingested;
  run: Ingested;
}

async function partJUnit(bench: BenchApp, dir: string, repeat: number): Promise<JUnitRuns> {
  log("\n== part 1: JUnit XML ==");
  const fx = await junitFixture(dir, 200_000, 400);
  log(
    `${fx.path}: ${mib(fx.bytes)}, ${fx.cases} cases in ${fx.suites} suites; ${fx.failed} failed, ${fx.errored} errored, ${fx.skipped} skipped, ${fx.withOutput} with system-out`,
  );
  await warmPageCache(fx.path);
  const saxes = await repeated("(a) saxes", repeat, () => saxesOnly(fx.path));
  const parsed = await repeated("(b) parseJUnit", repeat, () => junitOnly(fx.path));
  const first = await once("(c) ingest, run 1", () => ingest(bench, fx.path, "junit.xml"));
  const second = await once("(c) ingest, run 2", () => ingest(bench, fx.path, "junit.xml"));
  for (const [label, got] of [
    ["parseJUnit", parsed.value.cases],
    ["ingest run 1", first.value.cases],
    ["ingest run 2", second.value.cases],
  ] as const) {
    if (got !== fx.cases) log(`  WARNING: ${label} produced ${got} cases, expected ${fx.cases}`);
  }
  const rows: StepRow[] = [
    { step: "(a) saxes only (baseline)", timed: saxes, bytes: fx.bytes, note: `${saxes.value} opentags` },
    {
      step: "(b) parseJUnit",
      timed: parsed,
      bytes: fx.bytes,
      baselineMs: saxes.ms,
      baselineCpuMs: saxes.cpuMs,
      targetRatio: TARGET_JUNIT_RATIO,
      note: `${parsed.value.cases} cases, ${parsed.value.warnings.length} warnings`,
    },
    {
      step: "(c) parse + store, run 1 (empty tables)",
      timed: first,
      bytes: fx.bytes,
      baselineMs: saxes.ms,
      baselineCpuMs: saxes.cpuMs,
      targetRatio: TARGET_JUNIT_RATIO,
      note: ingestNote(first.value),
    },
    {
      step: "(c) parse + store, run 2",
      timed: second,
      bytes: fx.bytes,
      baselineMs: saxes.ms,
      baselineCpuMs: saxes.cpuMs,
      targetRatio: TARGET_JUNIT_RATIO,
      note: ingestNote(second.value),
    },
  ];
  console.log(`\n### JUnit XML: ${mib(fx.bytes)}, ${fx.cases} cases, ${fx.suites} suites (median of ${repeat} for a, b)\n`);
  console.log(stepTable(rows));
  console.log(`\n${rssLine("(c) run 1", first)}`);
  console.log(rssLine("(c) run 2", second));
  if (second.value.warnings.length > 0) console.log(`ingest warnings: ${second.value.warnings.join("; ")}`);
  return { fixture: fx, base: first.value, run: second.value };
}

async function partBig(bench: BenchApp, dir: string): Promise<void> {
  log("\n== BENCH_BIG: ~250 MiB JUnit XML ==");
  const fx = await junitFixture(dir, 975_000, 1950);
  await warmPageCache(fx.path);
  const saxes = await once("(a) saxes", () => saxesOnly(fx.path));
  let ingested: Step<Ingested> | undefined;
  let refused: string | undefined;
  try {
    ingested = await once("(c) ingest", () => ingest(bench, fx.path, "junit-big.xml"));
  } catch (error) {
    refused = error instanceof Error ? error.message : String(error);
  }
  console.log(`\n### BENCH_BIG: JUnit XML ${mib(fx.bytes)}, ${fx.cases} cases, ${fx.suites} suites\n`);
  const rows: StepRow[] = [{ step: "(a) saxes only (baseline)", timed: saxes, bytes: fx.bytes, note: `${saxes.value} opentags` }];
  if (ingested) {
    rows.push({
      step: "(c) parse + store",
      timed: ingested,
      bytes: fx.bytes,
      baselineMs: saxes.ms,
      baselineCpuMs: saxes.cpuMs,
      targetRatio: TARGET_JUNIT_RATIO,
      note: `${ingested.value.cases} cases stored; ${ingestNote(ingested.value)}`,
    });
  }
  console.log(stepTable(rows));
  if (ingested) console.log(`\naccepted (REPORT_MAX_BYTES default 512 MiB). ${rssLine("(c)", ingested)}`);
  else console.log(`\nREFUSED: ${refused}`);
}

// ─── part 2: LCOV ────────────────────────────────────────────────────────────

async function partLcov(bench: BenchApp, dir: string, repeat: number): Promise<Ingested> {
  log("\n== part 2: LCOV ==");
  const fx = await lcovFixture(dir, 23_000);
  log(`${fx.path}: ${mib(fx.bytes)}, ${fx.records} records`);
  await warmPageCache(fx.path);
  const lines = await repeated("(a) readline", repeat, () => readlineOnly(fx.path));
  const parsed = await repeated("(b) parseLcov", repeat, () => lcovOnly(fx.path));
  const ingested = await once("(c) ingest", () => ingest(bench, fx.path, "lcov.info"));
  if (parsed.value !== fx.records) log(`  WARNING: parseLcov gave ${parsed.value} records, expected ${fx.records}`);
  const rows: StepRow[] = [
    { step: "(a) readline line count (baseline)", timed: lines, bytes: fx.bytes, note: `${lines.value} lines` },
    {
      step: "(b) parseLcov",
      timed: parsed,
      bytes: fx.bytes,
      baselineMs: lines.ms,
      baselineCpuMs: lines.cpuMs,
      targetRatio: TARGET_LCOV_RATIO,
      note: `${parsed.value} records`,
    },
    {
      step: "(c) parse + store",
      timed: ingested,
      bytes: fx.bytes,
      baselineMs: lines.ms,
      baselineCpuMs: lines.cpuMs,
      targetRatio: TARGET_LCOV_RATIO,
      note: `${ingested.value.coverageFiles} files; ${ingestNote(ingested.value)}`,
    },
  ];
  console.log(
    `\n### LCOV: ${mib(fx.bytes)} (${(fx.bytes / 1e6).toFixed(0)} MB), ${fx.records} records (median of ${repeat} for a, b)\n`,
  );
  console.log(stepTable(rows));
  console.log(`\n${rssLine("(c)", ingested)} (no RSS target for LCOV; for comparison)`);
  return ingested.value;
}

// ─── part 3: report page queries ─────────────────────────────────────────────

interface Query {
  label: string;
  path: string;
}

interface QueryResult {
  label: string;
  samples: number[];
  statuses: Map<number, number>;
  bytes: number;
  items: number | null;
  /** Process CPU time (user + system) per measured request: much less sensitive to other load on the box than wall time. */
  cpuMs: number;
}

/** Stops a query early once it has used this much time and has at least MIN_SAMPLES: a 5 s query × 50 is minutes. */
const MIN_SAMPLES = 10;

async function timeQuery(bench: BenchApp, query: Query, iterations: number, budgetMs: number): Promise<QueryResult> {
  const headers = { authorization: `Bearer ${bench.token}` };
  const samples: number[] = [];
  const statuses = new Map<number, number>();
  let bytes = 0;
  let items: number | null = null;
  const until = performance.now() + budgetMs;
  let cpuFrom = process.cpuUsage();
  for (let i = -3; i < iterations; i++) {
    if (i >= MIN_SAMPLES && performance.now() > until) break;
    if (i === 0) cpuFrom = process.cpuUsage();
    const started = performance.now();
    const response = await bench.app.http.inject({ method: "GET", url: query.path, headers });
    const ms = performance.now() - started;
    if (i < 0) continue; // warm-up
    samples.push(ms);
    statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
    bytes = response.rawPayload.length;
    if (i === 0) {
      const body: unknown = response.json();
      const list = (body as { items?: unknown }).items;
      items = Array.isArray(list) ? list.length : null;
      if (response.statusCode !== 200) log(`  ${query.label}: ${response.statusCode} ${response.body.slice(0, 300)}`);
    }
  }
  const cpu = process.cpuUsage(cpuFrom);
  const cpuMs = (cpu.user + cpu.system) / 1000 / Math.max(1, samples.length);
  log(`  ${query.label}: p50 ${percentile(samples, 0.5).toFixed(1)} ms, cpu ${cpuMs.toFixed(1)} ms/request`);
  return { label: query.label, samples, statuses, bytes, items, cpuMs };
}

/** The keyset cursor (`<fileId>.<seq>`) a client paging 100 at a time would hold after `position` cases of the run. */
async function deepCursor(bench: BenchApp, runId: string, position: number): Promise<string> {
  const row = await bench.db.kysely
    .selectFrom("test_cases as c")
    .innerJoin("report_files as f", "f.id", "c.file_id")
    .select(["c.file_id", "c.seq"])
    .where("f.run_id", "=", runId)
    .where("f.status", "=", "stored")
    .orderBy("c.file_id")
    .orderBy("c.seq")
    .offset(position - 1)
    .limit(1)
    .executeTakeFirstOrThrow();
  return `${row.file_id}.${row.seq}`;
}

async function partQueries(
  bench: BenchApp,
  junit: JUnitRuns | undefined,
  coverageRun: Ingested | undefined,
  iterations: number,
  budgetMs: number,
): Promise<QueryResult[]> {
  log("\n== part 3: report page queries ==");
  const queries: Query[] = [];
  if (junit) {
    const base = `/api/v1/report-runs/${junit.run.runId}`;
    const { rareSubstring, commonSubstring } = junit.fixture;
    queries.push(
      { label: "GET run (report page; base: run 1, 200k cases)", path: base },
      { label: "GET run 1 (report page; no base)", path: `/api/v1/report-runs/${junit.base.runId}` },
      { label: "tests ?status=failed&limit=100", path: `${base}/tests?status=failed&limit=100` },
      { label: `tests ?q=${rareSubstring}&limit=100 (1 match)`, path: `${base}/tests?q=${rareSubstring}&limit=100` },
      { label: `tests ?q=${commonSubstring}&limit=100 (common)`, path: `${base}/tests?q=${commonSubstring}&limit=100` },
      { label: "tests ?limit=100 (page 1)", path: `${base}/tests?limit=100` },
      {
        label: "tests ?limit=100&cursor=<case 100000> (deep page)",
        path: `${base}/tests?limit=100&cursor=${await deepCursor(bench, junit.run.runId, 100_000)}`,
      },
    );
  }
  if (coverageRun) {
    queries.push({
      label: `coverage ?limit=200 (LCOV run, ${coverageRun.coverageFiles} files)`,
      path: `/api/v1/report-runs/${coverageRun.runId}/coverage?limit=200`,
    });
  }
  const results: QueryResult[] = [];
  for (const query of queries) results.push(await timeQuery(bench, query, iterations, budgetMs));
  console.log(
    `\n### Report page queries: up to ${iterations} sequential requests each via app.http.inject, after 3 warm-up (stopping after ${budgetMs / 1000} s once ${MIN_SAMPLES} are in)\n`,
  );
  const header = [
    "query",
    "n",
    "p50 ms",
    "p95 ms",
    "max ms",
    "cpu ms/req",
    "status",
    "items",
    "body",
    `p95 < ${TARGET_P95_MS} ms`,
  ];
  const lines = results.map((r) => {
    const p95 = percentile(r.samples, 0.95);
    return [
      r.label,
      String(r.samples.length),
      percentile(r.samples, 0.5).toFixed(1),
      p95.toFixed(1),
      Math.max(...r.samples).toFixed(1),
      r.cpuMs.toFixed(1),
      [...r.statuses].map(([code, n]) => `${code}×${n}`).join(" "),
      r.items === null ? "—" : String(r.items),
      r.bytes >= 1024 ? `${(r.bytes / 1024).toFixed(0)} KiB` : `${r.bytes} B`,
      verdict(p95 < TARGET_P95_MS && [...r.statuses.keys()].every((code) => code === 200)),
    ];
  });
  console.log(markdownTable(header, lines));
  return results;
}

// ─── run ─────────────────────────────────────────────────────────────────────

/** BENCH_ONLY picks parts; otherwise all of junit, lcov, queries, and big when BENCH_BIG=1. */
function selectedParts(big: boolean): Set<Part> {
  const only = listFromEnv("BENCH_ONLY");
  if (!only) return new Set(PARTS.filter((part) => part !== "big" || big));
  const unknown = only.filter((part) => !(PARTS as readonly string[]).includes(part));
  if (unknown.length > 0) throw new Error(`BENCH_ONLY names ${unknown.join(", ")}; known: ${PARTS.join(", ")}`);
  return new Set(only as Part[]);
}

export async function run(): Promise<void> {
  const repeat = intFromEnv("BENCH_REPEAT", { fallback: 3, min: 1 });
  const iterations = intFromEnv("BENCH_ITERATIONS", { fallback: 50, min: 1 });
  const budgetSeconds = intFromEnv("BENCH_QUERY_BUDGET", { fallback: 30, min: 1 });
  const big = intFromEnv("BENCH_BIG", { fallback: 0, min: 0 }) > 0;
  const keep = intFromEnv("BENCH_KEEP_FILES", { fallback: 0, min: 0 }) > 0;
  const parts = selectedParts(big);
  const dir = join(tmpdir(), "stagegate-reports-bench");
  await mkdir(dir, { recursive: true });
  log(
    `node ${process.version}, ${availableParallelism()} × ${cpus()[0]?.model ?? "?"}, ${mib(totalmem(), 0)} RAM; load ${load()}`,
  );
  log(`gc for RSS baselines: ${collectGarbage() ? "yes" : "no (baselines include garbage)"}; fixtures in ${dir}`);
  const bench = await startBenchApp();
  try {
    collectGarbage();
    log(`app on ${bench.database}; process RSS ${MB(process.memoryUsage.rss())} with the app built (before any report)`);
    await bench.app.services.projects.applyConfig(PROJECT, CONFIG_YAML, { prune: false });
    // The queries need the runs the ingest parts leave behind; each part's queries are skipped with its part.
    const needJUnit = parts.has("junit") || parts.has("queries");
    const needLcov = parts.has("lcov") || parts.has("queries");
    const junit = needJUnit ? await partJUnit(bench, dir, repeat) : undefined;
    const lcov = needLcov ? await partLcov(bench, dir, repeat) : undefined;
    if (parts.has("queries")) await partQueries(bench, junit, lcov, iterations, budgetSeconds * 1000);
    if (parts.has("big")) await partBig(bench, dir);
    const size = await stat(bench.database.replace(/^sqlite:/, "")).catch(() => undefined);
    if (size) log(`\nSQLite file: ${mib(size.size)} (plus WAL)`);
    log(`load average at the end: ${load()}`);
  } finally {
    await bench.close();
    if (!keep) await rm(dir, { recursive: true, force: true });
  }
}
