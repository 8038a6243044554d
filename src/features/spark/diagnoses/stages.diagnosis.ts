import type { RawAnalysis } from "../analyzer/event-log.analyzer.ts";
import type { Finding } from "../spark.types.ts";
import { gib, seconds, THRESHOLDS as T } from "./thresholds.ts";

/** Stragglers (one slow task holding a stage) and shuffle-read skew (one task reading far more than the others). */
export function stragglers(raw: RawAnalysis): Finding[] {
  const found = raw.stages
    .filter((s) => s.durationP50 !== null && s.durationMax !== null && s.durationMax >= T.stragglerMinMaxMs)
    .map((s) => ({ s, ratio: (s.durationMax ?? 0) / Math.max(1, s.durationP50 ?? 0) }))
    .filter(({ ratio }) => ratio >= T.stragglerRatio)
    .sort((a, b) => b.ratio - a.ratio)
    .slice(0, T.maxFindingsPerKind);
  return found.map(({ s, ratio }) => ({
    code: "stragglers",
    severity: ratio >= 20 && (s.durationMax ?? 0) >= 60_000 ? "critical" : "warning",
    title: `Stage ${s.stageId} waits on stragglers: its slowest task took ${ratio.toFixed(1)}× the median`,
    evidence: {
      stage: s.stageId,
      attempt: s.attempt,
      stageName: s.name,
      tasks: s.tasks,
      medianMs: s.durationP50,
      maxMs: s.durationMax,
      ratio: Math.round(ratio * 10) / 10,
      slowestExecutor: s.slowestExecutor,
      sampled: s.sampled,
    },
    advice:
      `One task ran ${seconds(s.durationMax ?? 0)} while half ran under ${seconds(s.durationP50 ?? 0)}. If the slow task reads much more data, ` +
      "the key is skewed: salt the hot key or let AQE split skewed join partitions; otherwise repartition, or check the slow executor's host.",
    setting: "spark.sql.adaptive.skewJoin.enabled",
  }));
}

export function shuffleSkew(raw: RawAnalysis): Finding[] {
  return raw.stages
    .filter(
      (s) =>
        s.shuffleReadMax >= T.shuffleSkewMinBytes && s.shuffleReadMax / Math.max(1, s.shuffleReadP50 ?? 0) >= T.shuffleSkewRatio,
    )
    .sort((a, b) => b.shuffleReadMax - a.shuffleReadMax)
    .slice(0, T.maxFindingsPerKind)
    .map((s) => ({
      code: "shuffle_skew",
      severity: "warning",
      title: `Stage ${s.stageId} has shuffle-read skew: one task read ${gib(s.shuffleReadMax)}`,
      evidence: {
        stage: s.stageId,
        attempt: s.attempt,
        stageName: s.name,
        maxReadBytes: s.shuffleReadMax,
        medianReadBytes: s.shuffleReadP50,
        totalReadBytes: s.shuffleReadBytes,
      },
      advice:
        "A few keys carry most of the rows. Salt the hot keys, enable AQE skew-join splitting, or repartition on a better key.",
      setting: "spark.sql.adaptive.skewJoin.enabled",
    }));
}

/** Spill to memory and disk, by stage. */
export function spill(raw: RawAnalysis): Finding[] {
  const { memorySpill, diskSpill } = raw.totals;
  if (memorySpill === 0 && diskSpill === 0) return [];
  const top = [...raw.stages].sort((a, b) => b.diskSpill + b.memorySpill - (a.diskSpill + a.memorySpill))[0];
  const severe = diskSpill >= T.spillDiskWarnBytes || memorySpill >= T.spillMemoryWarnBytes;
  return [
    {
      code: "spill",
      severity: severe ? "warning" : "info",
      title: `Tasks spilled ${gib(memorySpill)} (in memory) and ${gib(diskSpill)} to disk`,
      evidence: {
        memoryBytesSpilled: memorySpill,
        diskBytesSpilled: diskSpill,
        topStage: top?.stageId ?? null,
        topStageMemorySpill: top?.memorySpill ?? 0,
        topStageDiskSpill: top?.diskSpill ?? 0,
        stagesWithSpill: raw.stages.filter((s) => s.memorySpill + s.diskSpill > 0).length,
      },
      advice: "Execution memory ran short. Use more, smaller partitions, or give executors more memory.",
      setting: "spark.sql.shuffle.partitions",
    },
  ];
}

/** GC time as a share of executor run time. */
export function gcPressure(raw: RawAnalysis): Finding[] {
  const { gcMs, runMs } = raw.totals;
  if (runMs < T.gcMinRunMs) return [];
  const share = gcMs / runMs;
  if (share <= T.gcWarn) return [];
  const worst = raw.stages.filter((s) => s.runMs > 0).sort((a, b) => b.gcMs / b.runMs - a.gcMs / a.runMs || b.runMs - a.runMs)[0];
  return [
    {
      code: "gc_pressure",
      severity: share > T.gcCritical ? "critical" : "warning",
      title: `Executors spent ${(share * 100).toFixed(1)} % of task time in garbage collection`,
      evidence: {
        gcMs,
        executorRunMs: runMs,
        gcPercent: Math.round(share * 1000) / 10,
        worstStage: worst?.stageId ?? null,
        worstStageGcPercent: worst ? Math.round((worst.gcMs / worst.runMs) * 1000) / 10 : null,
      },
      advice:
        "The heap is too small for what each task holds. Give executors more memory or fewer concurrent tasks (cores), cache serialized, or avoid collecting large objects in UDFs.",
      setting: "spark.executor.memory",
    },
  ];
}
