import type { MetricPoint } from "./runs.types.ts";

/**
 * Names alerts and the run page understand, whatever sent them: DCGM, the nvidia_gpu_exporter, nvidia-smi CSV,
 * node exporter, OpenTelemetry semantic conventions. Units: percent 0–100, MiB for GPU memory, bytes for host memory.
 * Pure: the service stores what these functions return next to the raw samples.
 */
export const CANONICAL = {
  gpuUtil: "gpu.utilization",
  gpuMemUsed: "gpu.memory.used_mib",
  gpuMemTotal: "gpu.memory.total_mib",
  gpuMemUtil: "gpu.memory.utilization",
  gpuTemp: "gpu.temperature",
  gpuPower: "gpu.power_w",
  hostMemUtil: "host.memory.utilization",
  hostCpuUtil: "host.cpu.utilization",
} as const;

const MIB = 1024 * 1024;

/** source name → [canonical name, factor]: samples that mean the canonical value on their own. */
const ALIASES: Record<string, [string, number]> = {
  DCGM_FI_DEV_GPU_UTIL: [CANONICAL.gpuUtil, 1],
  DCGM_FI_DEV_FB_USED: [CANONICAL.gpuMemUsed, 1],
  DCGM_FI_DEV_FB_TOTAL: [CANONICAL.gpuMemTotal, 1],
  // dcgm_fields.h: "Percentage used of Frame Buffer: 'Used/(Total - Reserved)'. Range 0.0-1.0".
  DCGM_FI_DEV_FB_USED_PERCENT: [CANONICAL.gpuMemUtil, 100],
  DCGM_FI_DEV_GPU_TEMP: [CANONICAL.gpuTemp, 1],
  DCGM_FI_DEV_POWER_USAGE: [CANONICAL.gpuPower, 1],
  nvidia_smi_utilization_gpu_ratio: [CANONICAL.gpuUtil, 100],
  nvidia_smi_memory_used_bytes: [CANONICAL.gpuMemUsed, 1 / MIB],
  nvidia_smi_memory_total_bytes: [CANONICAL.gpuMemTotal, 1 / MIB],
  nvidia_smi_temperature_gpu: [CANONICAL.gpuTemp, 1],
  nvidia_smi_power_draw_watts: [CANONICAL.gpuPower, 1],
  "utilization.gpu": [CANONICAL.gpuUtil, 1],
  "memory.used": [CANONICAL.gpuMemUsed, 1],
  "memory.total": [CANONICAL.gpuMemTotal, 1],
  "temperature.gpu": [CANONICAL.gpuTemp, 1],
  "power.draw": [CANONICAL.gpuPower, 1],
  "hw.gpu.utilization": [CANONICAL.gpuUtil, 100],
};

export function canonicalOf(name: string): { name: string; factor: number } | undefined {
  const alias = ALIASES[name];
  return alias && alias[0] !== name ? { name: alias[0], factor: alias[1] } : undefined;
}

/** Labels that name the GPU of a sample, in order of preference. */
export const GPU_LABELS = ["gpu", "gpu_index", "gpu.id", "hw.id", "minor_number", "device", "uuid", "UUID", "gpu_uuid"];
/** Labels that name the node of a Prometheus sample. */
export const NODE_LABELS = ["node", "Hostname", "hostname", "host", "instance", "host.name", "k8s.pod.name"];

/**
 * OpenTelemetry names of the state and CPU attributes, newest first: semconv renamed `state` → `system.cpu.state` →
 * `cpu.mode`, `cpu` → `system.cpu.logical_number` → `cpu.logical_number`, `state` → `system.memory.state`.
 */
const CPU_MODE_LABELS = ["cpu.mode", "system.cpu.state", "state"];
const CPU_CORE_LABELS = ["cpu.logical_number", "system.cpu.logical_number", "cpu"];
const MEMORY_STATE_LABELS = ["system.memory.state", "state"];

function label(labels: Record<string, string>, keys: string[]): string | undefined {
  for (const key of keys) {
    const value = labels[key];
    if (value !== undefined && value !== "") return value;
  }
  return undefined;
}

type Group = { node: string; gpu: string; ts: number; points: MetricPoint[] };

function groupBySample(points: MetricPoint[], names: ReadonlySet<string>): Group[] {
  const groups = new Map<string, Group>();
  for (const p of points) {
    if (!names.has(p.name)) continue;
    const key = `${p.node}\u0000${p.gpu}\u0000${p.ts}`;
    let group = groups.get(key);
    if (!group) {
      group = { node: p.node, gpu: p.gpu, ts: p.ts, points: [] };
      groups.set(key, group);
    }
    group.points.push(p);
  }
  return [...groups.values()];
}

const derived = (name: string, g: { node: string; gpu: string; ts: number }, value: number): MetricPoint => ({
  name,
  node: g.node,
  gpu: g.gpu,
  labels: {},
  ts: g.ts,
  value,
});

/**
 * `system.memory.utilization` is one gauge per state (semconv: `used` and `available`, which sum to 1; the collector's
 * hostmetrics receiver also sends `free`, `cached`, `buffered`, `slab_*`). The host is as full as its `used` state;
 * without one, 1 − available, else 1 − the reclaimable states. A gauge without a state is the utilisation itself.
 */
export function hostMemoryUtilization(points: MetricPoint[]): number | undefined {
  const byState = new Map<string, number>();
  for (const p of points) {
    const state = label(p.labels, MEMORY_STATE_LABELS) ?? "";
    byState.set(state, (byState.get(state) ?? 0) + p.value);
  }
  const used = byState.get("used");
  if (used !== undefined) return used * 100;
  const available = byState.get("available");
  if (available !== undefined) return (1 - available) * 100;
  const reclaimable = ["free", "cached", "buffered", "slab_reclaimable"].filter((s) => byState.has(s));
  if (reclaimable.length) return (1 - reclaimable.reduce((sum, s) => sum + (byState.get(s) ?? 0), 0)) * 100;
  const plain = byState.get("");
  return plain === undefined ? undefined : plain * 100;
}

/**
 * `system.cpu.utilization` is one gauge per logical CPU and mode (idle, user, system, …; they sum to 1 per CPU). A CPU
 * is busy 1 − idle (or the sum of its non-idle modes when idle is not sent); the host is the average over its CPUs.
 */
export function hostCpuUtilization(points: MetricPoint[]): number | undefined {
  const cores = new Map<string, { idle?: number; busy: number; plain?: number }>();
  for (const p of points) {
    const core = label(p.labels, CPU_CORE_LABELS) ?? "";
    const mode = label(p.labels, CPU_MODE_LABELS);
    const c = cores.get(core) ?? { busy: 0 };
    if (mode === undefined) c.plain = p.value;
    else if (mode === "idle") c.idle = p.value;
    else c.busy += p.value;
    cores.set(core, c);
  }
  const perCore = [...cores.values()].map((c) => (c.idle !== undefined ? 1 - c.idle : (c.plain ?? c.busy)));
  if (perCore.length === 0) return undefined;
  return (perCore.reduce((sum, v) => sum + v, 0) / perCore.length) * 100;
}

/**
 * GPU memory utilisation of one GPU at one instant: DCGM's `FB_USED / (FB_USED + FB_FREE)` (= DCGM's own
 * FB_USED_PERCENT, Used/(Total − Reserved)), else used / (total − reserved) from DCGM's total, else nvidia-smi's
 * used / total. Undefined when the sample says it itself (FB_USED_PERCENT) or lacks the parts.
 */
export function gpuMemoryUtilization(values: Record<string, number>): number | undefined {
  if (values.DCGM_FI_DEV_FB_USED_PERCENT !== undefined) return undefined;
  const used = values.DCGM_FI_DEV_FB_USED;
  const free = values.DCGM_FI_DEV_FB_FREE;
  if (used !== undefined && free !== undefined) return used + free > 0 ? (used / (used + free)) * 100 : undefined;
  const dcgmTotal = values.DCGM_FI_DEV_FB_TOTAL;
  if (used !== undefined && dcgmTotal !== undefined) {
    const usable = dcgmTotal - (values.DCGM_FI_DEV_FB_RESERVED ?? 0);
    return usable > 0 ? (used / usable) * 100 : undefined;
  }
  const mib = values[CANONICAL.gpuMemUsed];
  const total = values[CANONICAL.gpuMemTotal];
  return mib !== undefined && total ? (mib / total) * 100 : undefined;
}

const MEMORY_STATE_METRIC = new Set(["system.memory.utilization"]);
const CPU_STATE_METRIC = new Set(["system.cpu.utilization"]);

/**
 * The canonical samples a batch implies, to store next to the raw ones: renamed copies (ALIASES) and values derived
 * from several samples of the same node, GPU and instant (GPU and host memory utilisation, OTLP per-state gauges).
 * Non-finite values are the caller's to drop beforehand.
 */
export function deriveCanonical(points: MetricPoint[]): MetricPoint[] {
  const out: MetricPoint[] = [];
  const bySample = new Map<string, { g: Group; values: Record<string, number> }>();
  for (const p of points) {
    const canonical = canonicalOf(p.name);
    if (canonical) out.push({ ...p, name: canonical.name, value: p.value * canonical.factor });
    const key = `${p.node}\u0000${p.gpu}\u0000${p.ts}`;
    let entry = bySample.get(key);
    if (!entry) {
      entry = { g: { node: p.node, gpu: p.gpu, ts: p.ts, points: [] }, values: {} };
      bySample.set(key, entry);
    }
    entry.values[p.name] = p.value;
    if (canonical) entry.values[canonical.name] = p.value * canonical.factor;
  }
  for (const { g, values } of bySample.values()) {
    const gpuMem = gpuMemoryUtilization(values);
    if (gpuMem !== undefined) out.push(derived(CANONICAL.gpuMemUtil, g, gpuMem));
    const available = values.node_memory_MemAvailable_bytes;
    const hostTotal = values.node_memory_MemTotal_bytes;
    if (available !== undefined && hostTotal) {
      out.push(derived(CANONICAL.hostMemUtil, { ...g, gpu: "" }, (1 - available / hostTotal) * 100));
    }
  }
  for (const g of groupBySample(points, MEMORY_STATE_METRIC)) {
    const value = hostMemoryUtilization(g.points);
    if (value !== undefined) out.push(derived(CANONICAL.hostMemUtil, g, value));
  }
  for (const g of groupBySample(points, CPU_STATE_METRIC)) {
    const value = hostCpuUtilization(g.points);
    if (value !== undefined) out.push(derived(CANONICAL.hostCpuUtil, g, value));
  }
  return out;
}

/** node_exporter's per-CPU, per-mode busy-time counter (seconds since boot). */
export const CPU_SECONDS = "node_cpu_seconds_total";

/** One node's CPU counters at one scrape, summed over its CPUs and modes. */
export interface CpuSnapshot {
  ts: number;
  idle: number;
  all: number;
  cpus: number;
}

/** Sums one scrape's `node_cpu_seconds_total{cpu, mode}` samples (labels as stored). */
export function cpuSnapshot(ts: number, samples: { labels: Record<string, string>; value: number }[]): CpuSnapshot {
  const cpus = new Set<string>();
  let idle = 0;
  let all = 0;
  for (const s of samples) {
    cpus.add(s.labels.cpu ?? "");
    all += s.value;
    if (s.labels.mode === "idle") idle += s.value;
  }
  return { ts, idle, all, cpus: cpus.size };
}

/**
 * Host CPU utilisation between consecutive scrapes, as PromQL's `1 - rate(idle) / rate(all modes)`: counters only
 * mean something as a difference. Pairs across a counter reset (reboot) or a change in the number of CPUs are skipped.
 */
export function cpuUtilizationFromCounters(snapshots: CpuSnapshot[]): { ts: number; value: number }[] {
  const sorted = [...snapshots].sort((a, b) => a.ts - b.ts);
  const out: { ts: number; value: number }[] = [];
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1];
    const b = sorted[i];
    if (!a || !b || a.cpus !== b.cpus || b.ts <= a.ts) continue;
    const all = b.all - a.all;
    const idle = b.idle - a.idle;
    if (all <= 0 || idle < 0 || idle > all) continue;
    out.push({ ts: b.ts, value: (1 - idle / all) * 100 });
  }
  return out;
}
