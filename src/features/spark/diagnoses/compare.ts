import type { Finding, SparkAnalysis, StageSummary } from "../spark.types.ts";

export interface StageChange {
  stageName: string;
  occurrence: number;
  baseMs: number;
  currentMs: number;
  ratio: number;
}

export interface SparkComparison {
  durationMs: { base: number | null; current: number | null; deltaMs: number | null; ratio: number | null };
  slowerStages: StageChange[];
  newFindings: Finding[];
  resolvedFindings: Finding[];
}

/** A stage counts as slower from 20 % and 5 s slower (less is run-to-run noise). */
const SLOWER_RATIO = 1.2;
const SLOWER_MIN_MS = 5_000;

const wall = (s: StageSummary): number | null =>
  s.submittedAt !== null && s.completedAt !== null ? s.completedAt - s.submittedAt : null;

/**
 * Stage ids differ between runs of the same job when anything changes, so stages are matched by name and the
 * how-many-th stage of that name it is (names are call sites: `save at Job.scala:42`).
 */
function byNameOccurrence(stages: StageSummary[]): Map<string, { s: StageSummary; occurrence: number }> {
  const seen = new Map<string, number>();
  const out = new Map<string, { s: StageSummary; occurrence: number }>();
  for (const s of [...stages].filter((stage) => stage.attempt === 0).sort((a, b) => a.stageId - b.stageId)) {
    const occurrence = (seen.get(s.name) ?? 0) + 1;
    seen.set(s.name, occurrence);
    out.set(`${s.name}#${occurrence}`, { s, occurrence });
  }
  return out;
}

const findingKey = (f: Finding): string => `${f.code}:${f.evidence.stage ?? f.evidence.failingStage ?? f.evidence.cause ?? ""}`;

/** This run against a base (the previous run of the same job, or staging vs live). */
export function compareAnalyses(base: SparkAnalysis, current: SparkAnalysis): SparkComparison {
  const b = base.app.durationMs;
  const c = current.app.durationMs;
  const baseStages = byNameOccurrence(base.stages);
  const slowerStages: StageChange[] = [];
  for (const [key, { s, occurrence }] of byNameOccurrence(current.stages)) {
    const before = baseStages.get(key);
    const now = wall(s);
    const then = before ? wall(before.s) : null;
    if (now === null || then === null) continue;
    if (now >= then * SLOWER_RATIO && now - then >= SLOWER_MIN_MS) {
      slowerStages.push({
        stageName: s.name,
        occurrence,
        baseMs: then,
        currentMs: now,
        ratio: Math.round((now / Math.max(1, then)) * 100) / 100,
      });
    }
  }
  slowerStages.sort((x, y) => y.currentMs - y.baseMs - (x.currentMs - x.baseMs));
  const baseKeys = new Set(base.findings.map(findingKey));
  const currentKeys = new Set(current.findings.map(findingKey));
  return {
    durationMs: {
      base: b,
      current: c,
      deltaMs: b !== null && c !== null ? c - b : null,
      ratio: b !== null && c !== null && b > 0 ? Math.round((c / b) * 100) / 100 : null,
    },
    slowerStages: slowerStages.slice(0, 20),
    newFindings: current.findings.filter((f) => !baseKeys.has(findingKey(f))),
    resolvedFindings: base.findings.filter((f) => !currentKeys.has(findingKey(f))),
  };
}
