import type { RawAnalysis } from "../analyzer/event-log.analyzer.ts";
import type { Finding, Severity } from "../spark.types.ts";
import { executorLoss, failedJobs, fetchFailures, taskFailures } from "./failures.diagnosis.ts";
import { type LogState, logHealth } from "./log.diagnosis.ts";
import { gpu, timeUse } from "./resources.diagnosis.ts";
import { gcPressure, shuffleSkew, spill, stragglers } from "./stages.diagnosis.ts";

const RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

/** All findings, most severe first (stable within a severity: the order the diagnoses run). */
export function diagnose(raw: RawAnalysis, state: LogState): Finding[] {
  const findings = [
    ...failedJobs(raw),
    ...gpu(raw),
    ...taskFailures(raw),
    ...executorLoss(raw),
    ...fetchFailures(raw),
    ...stragglers(raw),
    ...shuffleSkew(raw),
    ...gcPressure(raw),
    ...spill(raw),
    ...timeUse(raw),
    ...logHealth(raw, state),
  ];
  return findings
    .map((finding, index) => ({ finding, index }))
    .sort((a, b) => RANK[a.finding.severity] - RANK[b.finding.severity] || a.index - b.index)
    .map(({ finding }) => finding);
}
