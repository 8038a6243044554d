/** The numbers the diagnoses use, in one place (the thresholds, and ours where it gives none). */
export const THRESHOLDS = {
  /** Straggler: slowest task ≥ 5 × the median task, and ≥ 10 s. */
  stragglerRatio: 5,
  stragglerMinMaxMs: 10_000,
  /** Shuffle-read skew: the largest task read ≥ 5 × the median read, and ≥ 64 MiB. */
  shuffleSkewRatio: 5,
  shuffleSkewMinBytes: 64 * 1024 * 1024,
  gcWarn: 0.1,
  gcCritical: 0.2,
  /** GC share is noise on tiny apps. */
  gcMinRunMs: 1_000,
  spillDiskWarnBytes: 1024 ** 3,
  spillMemoryWarnBytes: 10 * 1024 ** 3,
  /** spark-rapids retries (gpuRetryCount + gpuSplitAndRetryCount) from which retrying is a storm. */
  gpuRetryStorm: 100,
  driverBoundShare: 0.3,
  driverBoundMinMs: 60_000,
  idleShare: 0.5,
  idleMinExecutorMs: 10 * 60_000,
  maxFindingsPerKind: 5,
} as const;

export function pct(part: number, whole: number): number {
  return whole > 0 ? Math.round((part / whole) * 1000) / 10 : 0;
}

export function gib(bytes: number): string {
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
