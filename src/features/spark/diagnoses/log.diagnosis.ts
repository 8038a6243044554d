import type { RawAnalysis } from "../analyzer/event-log.analyzer.ts";
import type { Finding } from "../spark.types.ts";

export interface LogState {
  /** Why the analysis does not cover a finished application. */
  incompleteReasons: string[];
  /** Where a compressed stream broke, when it did. */
  corrupt: { codec: string; offset: number; part: number; message: string } | null;
}

/** Incomplete or broken logs, malformed lines and unknown events: what the analysis could not see. */
export function logHealth(raw: RawAnalysis, state: LogState): Finding[] {
  const findings: Finding[] = [];
  if (state.corrupt) {
    findings.push({
      code: "corrupt_stream",
      severity: "warning",
      title: `The ${state.corrupt.codec} stream breaks at byte ${state.corrupt.offset}; the analysis covers what came before`,
      evidence: { ...state.corrupt, linesRead: raw.counts.lines, lastEvent: raw.lastEvent },
      advice: "The file was damaged in storage or transfer, or is still being written. Upload an intact copy to see the rest.",
    });
  }
  if (state.incompleteReasons.length > 0) {
    findings.push({
      code: "incomplete_log",
      severity: "warning",
      title: "The event log is incomplete: the application's end is not in it",
      evidence: { reasons: state.incompleteReasons.join("; "), lastEvent: raw.lastEvent, lastTimestamp: raw.lastTime },
      advice:
        "The application is still running, crashed, or its driver was killed before closing the log. Numbers cover only what was logged.",
    });
  }
  if (raw.counts.malformed > 0) {
    const lines = raw.malformedLines.map((m) => m.line);
    findings.push({
      code: "malformed_lines",
      severity: "warning",
      title: `${raw.counts.malformed} line${raw.counts.malformed === 1 ? " is" : "s are"} not valid JSON and ${raw.counts.malformed === 1 ? "was" : "were"} skipped`,
      evidence: {
        malformed: raw.counts.malformed,
        lines: lines.slice(0, 20).join(", "),
        firstError: raw.malformedLines[0]?.error ?? null,
      },
      advice:
        "Events on those lines are missing from the analysis (e.g. a broken environment line hides spark.master). The log was edited or damaged.",
    });
  }
  if (raw.counts.unknownEvents > 0) {
    findings.push({
      code: "unknown_events",
      severity: "info",
      title: `${raw.counts.unknownEvents} events of types this analyzer does not know were skipped`,
      evidence: { unknown: raw.counts.unknownEvents, types: Object.keys(raw.counts.unknownEventTypes).slice(0, 10).join(", ") },
      advice: "Usually vendor or listener-specific events; nothing to do.",
    });
  }
  return findings;
}
