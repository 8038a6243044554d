import type { Kysely } from "kysely";
import type { DialectName } from "../../db/connect.ts";
import type { Database, Queryable } from "../../db/schema.ts";
import type { Clock } from "../../shared/clock.ts";
import { DomainError, invalid } from "../../shared/errors.ts";
import { LIMITS } from "./logs.normalize.ts";
import {
  CANONICAL,
  CPU_SECONDS,
  cpuSnapshot,
  cpuUtilizationFromCounters,
  deriveCanonical,
  GPU_LABELS,
  NODE_LABELS,
} from "./metrics.canonical.ts";
import * as store from "./metrics.store.ts";
import { parseNvidiaSmiCsv } from "./nvidia-smi.parser.ts";
import { type PromSample, parsePrometheus } from "./prometheus.parser.ts";
import type { MetricPoint, RunRecord } from "./runs.types.ts";

export const MAX_POINTS_PER_BATCH = 50_000;
const MAX_BUCKETS = 1000;

export interface MetricBucket {
  ts: string;
  min: number;
  avg: number;
  max: number;
  count: number;
}

export interface MetricsIngestResult {
  accepted: number;
  rejected: number;
  /** Samples stamped too far in the future or past (the logs' window, LIMITS): stored at the time they arrived. */
  clamped: number;
  errors: { line: number; reason: string }[];
}

function pickLabel(labels: Record<string, string>, keys: string[]): string | undefined {
  for (const key of keys) {
    const value = labels[key];
    if (value !== undefined && value !== "") return value;
  }
  return undefined;
}

/** Which node and GPU a Prometheus sample is about, from its labels (DCGM: `gpu`, `Hostname`; node exporter: `instance`). */
function pointOf(s: PromSample, node: string | undefined, now: number): MetricPoint {
  const labels = { ...s.labels };
  const gpu = pickLabel(labels, GPU_LABELS) ?? "";
  const sampleNode = node ?? pickLabel(labels, NODE_LABELS) ?? "default";
  return { name: s.name, node: sampleNode, gpu, labels, ts: s.ts ?? now, value: s.value };
}

const promValue = (value: number) => (Number.isNaN(value) ? "NaN" : value > 0 ? "+Inf" : "-Inf");

/** The run's time span, widened to the samples it holds but never past the clamp window (see ingest). */
function defaultSpan(run: RunRecord, samples: { from: number; to: number } | undefined, now: number) {
  const created = Date.parse(run.createdAt);
  const ended = run.endedAt ? Date.parse(run.endedAt) : now;
  const from = Math.max(Math.min(created, samples?.from ?? created), created - LIMITS.pastMs);
  const to = Math.min(Math.max(ended, samples?.to ?? ended), Math.max(ended, now) + LIMITS.futureMs) + 1;
  return { from, to };
}

/** Metric ingest (Prometheus text, nvidia-smi CSV, OTLP points) and chart-sized queries. */
export function createMetricsService(deps: { db: Kysely<Database>; dialect: DialectName; clock: Clock }) {
  const { db, dialect, clock } = deps;
  const listeners: ((run: RunRecord) => void)[] = [];

  /**
   * Host CPU utilisation from node_exporter's CPU counters: each scrape of a node against the one before it, in this
   * batch or (for the batch's first scrape) the newest one stored, so pushes every few seconds give one value each.
   */
  async function cpuFromCounters(tx: Queryable, runId: string, points: MetricPoint[]): Promise<MetricPoint[]> {
    const byNode = new Map<string, Map<number, MetricPoint[]>>();
    for (const p of points) {
      if (p.name !== CPU_SECONDS) continue;
      const scrapes = byNode.get(p.node) ?? new Map<number, MetricPoint[]>();
      const scrape = scrapes.get(p.ts) ?? [];
      scrape.push(p);
      scrapes.set(p.ts, scrape);
      byNode.set(p.node, scrapes);
    }
    const out: MetricPoint[] = [];
    for (const [node, scrapes] of byNode) {
      const snapshots = [...scrapes].map(([ts, samples]) => cpuSnapshot(ts, samples));
      const before = Math.min(...snapshots.map((s) => s.ts));
      const previous = await store.previousSamples(tx, { runId, name: CPU_SECONDS, node, before });
      if (previous) snapshots.push(cpuSnapshot(previous.ts, previous.samples));
      for (const { ts, value } of cpuUtilizationFromCounters(snapshots)) {
        out.push({ name: CANONICAL.hostCpuUtil, node, gpu: "", labels: {}, ts, value });
      }
    }
    return out;
  }

  /**
   * Stores a batch: finite values only (NaN/±Inf are the caller's to report), timestamps clamped like log records',
   * the canonical series derived, and every node of the batch marked seen.
   */
  async function ingest(run: RunRecord, points: MetricPoint[]): Promise<{ accepted: number; clamped: number }> {
    const now = clock.now().getTime();
    if (run.status !== "running" && now - Date.parse(run.endedAt ?? "") > 3_600_000) {
      throw new DomainError("invalid_state", `Run ${run.id} ended more than an hour ago; it takes no more samples`);
    }
    const finite: MetricPoint[] = [];
    // Counters are only compared at their true scrape times: clamping would merge several scrapes into one instant.
    const onTime: MetricPoint[] = [];
    for (const p of points) {
      if (!Number.isFinite(p.value)) continue;
      if (p.ts > now + LIMITS.futureMs || p.ts < now - LIMITS.pastMs) finite.push({ ...p, ts: now });
      else {
        finite.push(p);
        onTime.push(p);
      }
    }
    const clamped = finite.length - onTime.length;
    const canonical = deriveCanonical(finite);
    if (finite.length + canonical.length > MAX_POINTS_PER_BATCH * 2) {
      throw new DomainError("payload_too_large", `A batch holds at most ${MAX_POINTS_PER_BATCH} samples`);
    }
    const nodes = new Map<string, store.NodeSighting>();
    for (const p of finite) {
      const n = nodes.get(p.node);
      if (!n) nodes.set(p.node, { node: p.node, firstTs: p.ts, lastTs: p.ts, seenAt: now });
      else {
        n.firstTs = Math.min(n.firstTs, p.ts);
        n.lastTs = Math.max(n.lastTs, p.ts);
      }
    }
    await db.transaction().execute(async (tx) => {
      const cpu = await cpuFromCounters(tx, run.id, onTime);
      await store.insertPoints(tx, dialect, run.id, [...finite, ...canonical, ...cpu]);
      await store.touchNodes(tx, dialect, run.id, [...nodes.values()]);
    });
    for (const listener of listeners) listener(run);
    return { accepted: finite.length, clamped };
  }

  /** OTLP's entry: the count stored (the partial-success answer counts the rest as rejected). */
  async function ingestPoints(run: RunRecord, points: MetricPoint[]): Promise<number> {
    return (await ingest(run, points)).accepted;
  }

  /** NaN and ±Inf samples are valid exposition but no measurement: each is skipped with an error naming its line. */
  async function ingestPrometheus(run: RunRecord, text: string, node: string | undefined): Promise<MetricsIngestResult> {
    const { samples, errors } = parsePrometheus(text);
    const now = clock.now().getTime();
    const stored: MetricPoint[] = [];
    const all = [...errors];
    for (const s of samples) {
      if (Number.isFinite(s.value)) stored.push(pointOf(s, node, now));
      else all.push({ line: s.line, reason: `${s.name} is ${promValue(s.value)}, not a measurement; the sample was not stored` });
    }
    all.sort((a, b) => a.line - b.line);
    const { accepted, clamped } = await ingest(run, stored);
    return { accepted, rejected: all.length, clamped, errors: all.slice(0, 20) };
  }

  /**
   * Rows without a timestamp column are spaced `intervalMs` apart ending now (`nvidia-smi -l 5` ⇒ 5000), the last
   * sample of each GPU being the newest.
   */
  async function ingestNvidiaSmi(
    run: RunRecord,
    text: string,
    options: { node?: string; intervalMs?: number },
  ): Promise<MetricsIngestResult> {
    const { samples, errors } = parseNvidiaSmiCsv(text);
    if (samples.length === 0 && errors.length === 0) throw invalid("No nvidia-smi CSV found: expected a header line and rows");
    const now = clock.now().getTime();
    const interval = options.intervalMs ?? 5000;
    const last = Math.max(0, ...samples.map((s) => s.sequence));
    const node = options.node ?? "default";
    const points: MetricPoint[] = [];
    for (const s of samples) {
      const ts = s.ts ?? now - (last - s.sequence) * interval;
      for (const [name, value] of Object.entries(s.values)) {
        points.push({ name, node, gpu: s.gpu, labels: s.uuid ? { uuid: s.uuid } : {}, ts, value });
      }
    }
    const { accepted, clamped } = await ingest(run, points);
    return { accepted, rejected: errors.length, clamped, errors: errors.slice(0, 20) };
  }

  async function query(
    run: RunRecord,
    input: { name: string; from?: number; to?: number; buckets?: number; node?: string; gpu?: string },
  ) {
    const span = defaultSpan(run, await store.range(db, run.id), clock.now().getTime());
    const from = input.from ?? (input.to !== undefined ? Math.min(span.from, input.to - 1) : span.from);
    const to = input.to ?? Math.max(span.to, from + 1);
    if (to <= from) throw invalid("`to` must be after `from`");
    const buckets = Math.min(Math.max(input.buckets ?? 120, 1), MAX_BUCKETS);
    const stepMs = Math.max(1, Math.ceil((to - from) / buckets));
    const rows = await store.bucketed(db, {
      runId: run.id,
      name: input.name,
      from,
      to,
      stepMs,
      ...(input.node ? { node: input.node } : {}),
      ...(input.gpu !== undefined ? { gpu: input.gpu } : {}),
    });
    const series = new Map<string, { node: string; gpu: string; labels: Record<string, string>; points: MetricBucket[] }>();
    for (const r of rows) {
      const key = `${r.node}\u0000${r.gpu}\u0000${r.labels_json}`;
      let s = series.get(key);
      if (!s) {
        s = {
          node: r.node,
          gpu: r.gpu,
          labels: r.labels_json ? (JSON.parse(r.labels_json) as Record<string, string>) : {},
          points: [],
        };
        series.set(key, s);
      }
      s.points.push({ ts: new Date(from + r.bucket * stepMs).toISOString(), min: r.min, avg: r.avg, max: r.max, count: r.n });
    }
    return {
      name: input.name,
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      stepMs,
      series: [...series.values()],
    };
  }

  return {
    ingestPoints,
    ingestPrometheus,
    ingestNvidiaSmi,
    query,
    summary: (runId: string, options: { names?: string[]; from?: number; to?: number } = {}) =>
      store.summary(db, { runId, ...options }),
    names: (runId: string) => store.metricNames(db, runId),
    /** Called after samples are stored (alerts evaluate). */
    onIngest(listener: (run: RunRecord) => void): void {
      listeners.push(listener);
    },
  };
}

export type MetricsService = ReturnType<typeof createMetricsService>;
