import { invalid } from "../../shared/errors.ts";
import { defineProto, parseLevel, type RecordParts } from "./logs.normalize.ts";
import { GPU_LABELS } from "./metrics.canonical.ts";
import { type MetricPoint, RUN_ID_ATTRIBUTE } from "./runs.types.ts";

/** Resource attributes naming the worker, most specific first (a Spark executor shares its host with others). */
const NODE_ATTRIBUTES = ["spark.executor.id", "k8s.pod.name", "host.name", "service.instance.id"];

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value);
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

function hex(value: unknown): string | null {
  if (typeof value === "string") return value === "" ? null : value.toLowerCase();
  if (Array.isArray(value)) return value.length ? Buffer.from(value as number[]).toString("hex") : null;
  return null;
}

/** A 64-bit integer as protobufjs decodes it (long.js): two 32-bit halves, each kept as a signed int32. */
interface Long64 {
  low: number;
  high: number;
  unsigned: boolean;
}

const isLong = (value: unknown): value is Long64 =>
  isObject(value) && typeof value.low === "number" && typeof value.high === "number";

/** The high half as a number: unsigned fields (fixed64) as such, signed ones (int64) with their sign. */
const highOf = (value: Long64): number => (value.unsigned ? value.high >>> 0 : value.high);

function int(value: unknown): number | undefined {
  if (typeof value === "number") return value;
  if (typeof value === "string" && /^-?\d+$/.test(value)) return Number(value);
  // One rounding of the exact value, like Number() of its decimal string: high × 2^32 is exact in a double.
  if (isLong(value)) return highOf(value) * 4294967296 + (value.low >>> 0);
  return undefined;
}

/** OTLP/JSON AnyValue → plain JSON (64-bit ints as numbers, bytes as base64). */
export function anyValue(value: unknown): unknown {
  if (!isObject(value)) return null;
  if ("stringValue" in value) return String(value.stringValue);
  if ("boolValue" in value) return Boolean(value.boolValue);
  if ("intValue" in value) return int(value.intValue) ?? null;
  if ("doubleValue" in value) return Number(value.doubleValue);
  if ("arrayValue" in value) return list((value.arrayValue as Json | undefined)?.values).map(anyValue);
  if ("kvlistValue" in value) return attributes((value.kvlistValue as Json | undefined)?.values);
  if ("bytesValue" in value) {
    const bytes = value.bytesValue;
    return Array.isArray(bytes) ? Buffer.from(bytes as number[]).toString("base64") : String(bytes);
  }
  return null;
}

export function attributes(keyValues: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of list(keyValues)) {
    if (!isObject(kv) || typeof kv.key !== "string") continue;
    if (kv.key === "__proto__") defineProto(out, anyValue(kv.value));
    else out[kv.key] = anyValue(kv.value);
  }
  return out;
}

/** Unix nanoseconds (decimal string, number, or a protobuf 64-bit integer) → ms; 0 or absent → undefined. */
export function nanosToMs(value: unknown): number | undefined {
  if (isLong(value)) {
    const high = highOf(value);
    if (high < 0) return undefined;
    // high × 2^32 + low = high × 4294 × 10^6 + high × 967296 + low; the last two sum to less than 2^53, so the floor
    // of their quotient by 10^6 is exact (as BigInt division would be).
    const ms = high * 4294 + Math.floor((high * 967_296 + (value.low >>> 0)) / 1e6);
    return ms > 0 ? ms : undefined;
  }
  if (typeof value === "string" && /^\d+$/.test(value)) {
    // Dropping the last 6 digits is BigInt(value) / 1_000_000n without a BigInt per record.
    const ms = value.length > 6 ? Number(value.slice(0, -6)) : 0;
    return ms > 0 ? ms : undefined;
  }
  if (typeof value === "number" && value > 0) return Math.floor(value / 1e6);
  return undefined;
}

/**
 * The node a resource names. A Spark executor id (`3`, or `driver`) is named as `stagegate run import-logs` names the
 * cluster log folders it comes from: `executor-3`, `driver`, so one executor is one node whichever way its logs came.
 */
function nodeOf(attrs: Record<string, unknown>): string | undefined {
  for (const key of NODE_ATTRIBUTES) {
    const raw = attrs[key];
    const value = typeof raw === "number" ? String(raw) : raw;
    if (typeof value !== "string" || value === "") continue;
    return key === "spark.executor.id" && value !== "driver" ? `executor-${value}` : value;
  }
  return undefined;
}

function runIdOf(attrs: Record<string, unknown>): string | undefined {
  const value = attrs[RUN_ID_ATTRIBUTE];
  return typeof value === "string" && value !== "" ? value : undefined;
}

export interface ResourceBatch<T> {
  runId: string | undefined;
  items: T[];
}

function requireRoot(body: unknown, key: string): unknown[] {
  if (!isObject(body)) throw invalid(`The body must be an OTLP ${key} export request object`);
  const value = body[key];
  if (value !== undefined && !Array.isArray(value)) throw invalid(`${key} must be an array`);
  return list(value);
}

/** ExportLogsServiceRequest (JSON shape) → records per resource, with the run and node taken from the resource. */
export function logsFromOtlp(body: unknown): { batches: ResourceBatch<RecordParts>[]; invalid: number } {
  const batches: ResourceBatch<RecordParts>[] = [];
  let bad = 0;
  for (const resourceLogs of requireRoot(body, "resourceLogs")) {
    if (!isObject(resourceLogs)) {
      bad++;
      continue;
    }
    const resource = attributes((resourceLogs.resource as Json | undefined)?.attributes);
    const node = nodeOf(resource);
    const service = resource["service.name"];
    const items: RecordParts[] = [];
    for (const scopeLogs of list(resourceLogs.scopeLogs)) {
      if (!isObject(scopeLogs)) continue;
      const scope = isObject(scopeLogs.scope) && typeof scopeLogs.scope.name === "string" ? scopeLogs.scope.name : undefined;
      for (const record of list(scopeLogs.logRecords)) {
        if (!isObject(record)) {
          bad++;
          continue;
        }
        const attrs = attributes(record.attributes);
        const body = anyValue(record.body);
        const severity = int(record.severityNumber) ?? 0;
        const level = parseLevel(record.severityText) ?? (severity > 0 ? parseLevel(severity) : undefined);
        if (scope) attrs["otel.scope.name"] = scope;
        if (typeof service === "string") attrs["service.name"] = service;
        items.push({
          ts: nanosToMs(record.timeUnixNano) ?? nanosToMs(record.observedTimeUnixNano),
          node: nodeOf(attrs) ?? node,
          level,
          severity,
          msg: typeof body === "string" ? body : body === null ? "" : JSON.stringify(body),
          attrs,
          traceId: hex(record.traceId),
          spanId: hex(record.spanId),
        });
      }
    }
    batches.push({ runId: runIdOf(resource), items });
  }
  return { batches, invalid: bad };
}

function labelsOf(attrs: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(attrs)) out[key] = typeof value === "string" ? value : JSON.stringify(value);
  return out;
}

type PointDraft = Omit<MetricPoint, "node"> & { node: string | undefined };

function numberPoints(name: string, points: unknown[], node: string | undefined, now: number): PointDraft[] {
  const out: PointDraft[] = [];
  for (const p of points) {
    if (!isObject(p)) continue;
    const labels = labelsOf(attributes(p.attributes));
    const value = p.asDouble !== undefined ? Number(p.asDouble) : int(p.asInt);
    if (value === undefined || Number.isNaN(value)) continue;
    const gpu = GPU_LABELS.map((k) => labels[k]).find((v) => v !== undefined) ?? "";
    out.push({ name, node: labels["host.name"] ?? node, gpu, labels, ts: nanosToMs(p.timeUnixNano) ?? now, value });
  }
  return out;
}

/** Histograms and summaries become `<name>.count`, `.sum` (and `.min`/`.max` when sent) series. */
function aggregatePoints(name: string, points: unknown[], node: string | undefined, now: number): PointDraft[] {
  const out: PointDraft[] = [];
  for (const p of points) {
    if (!isObject(p)) continue;
    const labels = labelsOf(attributes(p.attributes));
    const gpu = GPU_LABELS.map((k) => labels[k]).find((v) => v !== undefined) ?? "";
    const ts = nanosToMs(p.timeUnixNano) ?? now;
    const parts: [string, unknown][] = [
      ["count", int(p.count)],
      ["sum", p.sum],
      ["min", p.min],
      ["max", p.max],
    ];
    for (const [suffix, raw] of parts) {
      if (raw === undefined || raw === null) continue;
      const value = Number(raw);
      if (!Number.isNaN(value)) out.push({ name: `${name}.${suffix}`, node, gpu, labels, ts, value });
    }
  }
  return out;
}

/** ExportMetricsServiceRequest (JSON shape) → samples per resource. */
export function metricsFromOtlp(body: unknown, now: number): { batches: ResourceBatch<MetricPoint>[]; invalid: number } {
  const batches: ResourceBatch<MetricPoint>[] = [];
  let bad = 0;
  for (const resourceMetrics of requireRoot(body, "resourceMetrics")) {
    if (!isObject(resourceMetrics)) {
      bad++;
      continue;
    }
    const resource = attributes((resourceMetrics.resource as Json | undefined)?.attributes);
    const node = nodeOf(resource);
    const drafts: PointDraft[] = [];
    for (const scopeMetrics of list(resourceMetrics.scopeMetrics)) {
      if (!isObject(scopeMetrics)) continue;
      for (const metric of list(scopeMetrics.metrics)) {
        if (!isObject(metric) || typeof metric.name !== "string" || metric.name === "") {
          bad++;
          continue;
        }
        const { name } = metric;
        const data = (key: string) => list((metric[key] as Json | undefined)?.dataPoints);
        if (isObject(metric.gauge)) drafts.push(...numberPoints(name, data("gauge"), node, now));
        else if (isObject(metric.sum)) drafts.push(...numberPoints(name, data("sum"), node, now));
        else if (isObject(metric.histogram)) drafts.push(...aggregatePoints(name, data("histogram"), node, now));
        else if (isObject(metric.exponentialHistogram))
          drafts.push(...aggregatePoints(name, data("exponentialHistogram"), node, now));
        else if (isObject(metric.summary)) drafts.push(...aggregatePoints(name, data("summary"), node, now));
        else bad++;
      }
    }
    batches.push({ runId: runIdOf(resource), items: drafts.map((d) => ({ ...d, node: d.node ?? "default" })) });
  }
  return { batches, invalid: bad };
}
