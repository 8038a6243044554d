import type { Kysely } from "kysely";
import type { DialectName } from "../../db/connect.ts";
import type { Database } from "../../db/schema.ts";
import type { Clock } from "../../shared/clock.ts";
import { DomainError, invalid } from "../../shared/errors.ts";
import { CANONICAL, canonicalOf, GPU_LABELS, NODE_LABELS } from "./metrics.canonical.ts";
import * as store from "./metrics.store.ts";
import { parseNvidiaSmiCsv } from "./nvidia-smi.parser.ts";
import { parsePrometheus } from "./prometheus.parser.ts";
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
  errors: { line: number; reason: string }[];
}

function pickLabel(labels: Record<string, string>, keys: string[]): string | undefined {
  for (const key of keys) {
    const value = labels[key];
    if (value !== undefined && value !== "") return value;
  }
  return undefined;
}

/** Adds canonical-name copies (see metrics.canonical.ts) and memory utilisation where used and total arrived together. */
export function withCanonical(points: MetricPoint[]): MetricPoint[] {
  const out: MetricPoint[] = [];
  const byKey = new Map<string, Record<string, number>>();
  for (const p of points) {
    if (!Number.isFinite(p.value)) continue;
    out.push(p);
    const canonical = canonicalOf(p.name);
    const named = canonical ? { ...p, name: canonical.name, value: p.value * canonical.factor } : p;
    if (canonical) out.push(named);
    const key = `${p.node}\u0000${p.gpu}\u0000${p.ts}`;
    const values = byKey.get(key) ?? {};
    values[named.name] = named.value;
    values[p.name] = p.value;
    byKey.set(key, values);
  }
  for (const [key, values] of byKey) {
    const [node = "", gpu = "", ts = "0"] = key.split("\u0000");
    const used = values[CANONICAL.gpuMemUsed];
    const total = values[CANONICAL.gpuMemTotal];
    if (used !== undefined && total) {
      out.push({ name: CANONICAL.gpuMemUtil, node, gpu, labels: {}, ts: Number(ts), value: (used / total) * 100 });
    }
    const available = values.node_memory_MemAvailable_bytes;
    const hostTotal = values.node_memory_MemTotal_bytes;
    if (available !== undefined && hostTotal) {
      out.push({
        name: CANONICAL.hostMemUtil,
        node,
        gpu: "",
        labels: {},
        ts: Number(ts),
        value: (1 - available / hostTotal) * 100,
      });
    }
  }
  return out;
}

/** Metric ingest (Prometheus text, nvidia-smi CSV, OTLP points) and chart-sized queries. */
export function createMetricsService(deps: { db: Kysely<Database>; dialect: DialectName; clock: Clock }) {
  const { db, dialect, clock } = deps;
  const listeners: ((run: RunRecord) => void)[] = [];

  async function ingestPoints(run: RunRecord, points: MetricPoint[]): Promise<number> {
    if (run.status !== "running" && Date.now() - Date.parse(run.endedAt ?? "") > 3_600_000) {
      throw new DomainError("invalid_state", `Run ${run.id} ended more than an hour ago; it takes no more samples`);
    }
    const all = withCanonical(points);
    if (all.length > MAX_POINTS_PER_BATCH * 2) {
      throw new DomainError("payload_too_large", `A batch holds at most ${MAX_POINTS_PER_BATCH} samples`);
    }
    await db.transaction().execute((tx) => store.insertPoints(tx, dialect, run.id, all));
    for (const listener of listeners) listener(run);
    return points.filter((p) => Number.isFinite(p.value)).length;
  }

  async function ingestPrometheus(run: RunRecord, text: string, node: string | undefined): Promise<MetricsIngestResult> {
    const { samples, errors } = parsePrometheus(text);
    const now = clock.now().getTime();
    const points: MetricPoint[] = samples.map((s) => {
      const labels = { ...s.labels };
      const gpu = pickLabel(labels, GPU_LABELS) ?? "";
      const sampleNode = node ?? pickLabel(labels, NODE_LABELS) ?? "default";
      return { name: s.name, node: sampleNode, gpu, labels, ts: s.ts ?? now, value: s.value };
    });
    const accepted = await ingestPoints(run, points);
    return { accepted, rejected: errors.length + (samples.length - accepted), errors: errors.slice(0, 20) };
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
    const accepted = await ingestPoints(run, points);
    return { accepted, rejected: errors.length, errors: errors.slice(0, 20) };
  }

  async function query(
    run: RunRecord,
    input: { name: string; from?: number; to?: number; buckets?: number; node?: string; gpu?: string },
  ) {
    const span = await store.range(db, run.id);
    const from = input.from ?? span?.from ?? 0;
    const to = input.to ?? (span ? span.to + 1 : from + 1);
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
