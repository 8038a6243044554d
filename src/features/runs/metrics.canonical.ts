/**
 * Names alerts and the run page understand, whatever sent them: DCGM, the nvidia_gpu_exporter, nvidia-smi CSV,
 * node exporter, OpenTelemetry semantic conventions. Units: percent 0–100, MiB for GPU memory, bytes for host memory.
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

/** source name → [canonical name, factor] */
const ALIASES: Record<string, [string, number]> = {
  DCGM_FI_DEV_GPU_UTIL: [CANONICAL.gpuUtil, 1],
  DCGM_FI_DEV_FB_USED: [CANONICAL.gpuMemUsed, 1],
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
  "gpu.utilization": [CANONICAL.gpuUtil, 1],
  "system.memory.utilization": [CANONICAL.hostMemUtil, 100],
  "system.cpu.utilization": [CANONICAL.hostCpuUtil, 100],
};

export function canonicalOf(name: string): { name: string; factor: number } | undefined {
  const alias = ALIASES[name];
  return alias && alias[0] !== name ? { name: alias[0], factor: alias[1] } : undefined;
}

/** Labels that name the GPU of a sample, in order of preference. */
export const GPU_LABELS = ["gpu", "gpu_index", "gpu.id", "hw.id", "minor_number", "device", "uuid", "UUID", "gpu_uuid"];
/** Labels that name the node of a Prometheus sample. */
export const NODE_LABELS = ["node", "Hostname", "hostname", "host", "instance", "host.name", "k8s.pod.name"];
