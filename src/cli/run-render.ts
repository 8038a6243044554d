import type { RunDto } from "../sdk/runs.ts";
import type { PageOf } from "../shared/api.ts";
import { formatDuration } from "../shared/duration.ts";
import type { RunFigures, RunSummary } from "../shared/runs.api.ts";
import { formatFields, formatTable, NONE, relativeTime } from "./output.ts";
import { timestamp } from "./render.ts";

/** Table renderings of pipeline runs: `run get`, `run list`, `run end`, `run summary`. */

function duration(run: Pick<RunDto, "durationMs" | "status">): string {
  const took = formatDuration(run.durationMs);
  return run.status === "running" ? `${took} so far` : took;
}

/** "run run_1 (train in stg): succeeded after 5m2s" */
export function runLine(run: RunDto): string {
  const where = `${run.name}${run.environment ? ` in ${run.environment}` : ""}`;
  const took = formatDuration(run.durationMs);
  const outcome = run.status === "running" ? `running for ${took}` : `${run.status} after ${took}`;
  return `run ${run.id} (${where}): ${outcome}`;
}

export function runFields(run: RunDto): string {
  const attributes = Object.entries(run.attributes ?? {}).map(([k, v]) => `${k}=${v}`);
  return formatFields([
    ["ID", run.id],
    ["Project", run.project],
    ["Name", run.name],
    ["Environment", run.environment],
    ["Release", run.releaseVersion],
    ["Commit", run.commitSha ?? null],
    ["Deployment", run.deploymentId ?? null],
    ["External ID", run.externalId ?? null],
    ["Attributes", attributes.length ? attributes.join(", ") : null],
    ["Status", run.status],
    ["Created by", run.createdBy ?? null],
    ["Created", timestamp(run.createdAt)],
    ["Ended", timestamp(run.endedAt)],
    ["Duration", duration(run)],
    ["Records purged", run.purgedAt ? timestamp(run.purgedAt) : null],
  ]);
}

export function runTable(page: PageOf<RunDto>): string {
  return formatTable(
    ["ID", "NAME", "ENVIRONMENT", "RELEASE", "STATUS", "CREATED", "DURATION"],
    page.items.map((r) => [
      r.id,
      r.name,
      r.environment ?? NONE,
      r.releaseVersion ?? NONE,
      r.status,
      relativeTime(r.createdAt),
      duration(r),
    ]),
  );
}

function percent(value: number | null): string {
  return value === null ? NONE : `${Math.round(value)}%`;
}

function figures(label: string, f: RunFigures | null): string[] {
  if (!f) return [label, NONE, NONE, NONE, NONE, NONE];
  return [
    label,
    formatDuration(f.durationMs),
    String(f.errors),
    percent(f.gpuUtilizationAvg),
    f.gpuMemoryPeakMib === null ? NONE : `${Math.round(f.gpuMemoryPeakMib)} MiB`,
    percent(f.hostMemoryPeakPct),
  ];
}

/** The run page as text: what happened, where, what went wrong, and how it compares. */
export function runSummaryText(s: RunSummary): string {
  const out: string[] = [runLine(s.run)];
  const nodes = s.nodes.length;
  out.push(`${s.records} records from ${nodes} node${nodes === 1 ? "" : "s"}`);
  if (nodes) {
    out.push(
      "",
      "NODES",
      formatTable(
        ["NODE", "RECORDS", "ERRORS", "WARNINGS", "FIRST", "LAST SEEN"],
        s.nodes.map((n) => [
          n.node,
          String(n.records),
          String((n.levels.error ?? 0) + (n.levels.fatal ?? 0)),
          String(n.levels.warn ?? 0),
          n.firstRecordAt,
          relativeTime(n.lastSeenAt),
        ]),
      ),
    );
  }
  out.push("", s.topErrors.length ? "TOP ERRORS" : "no errors");
  for (const e of s.topErrors) {
    // Stacks travel in the message after its first line (and in `stack`): one line each, the innermost frame under it.
    const [message = "", ...rest] = e.example.message.split("\n");
    const stack = e.example.stack ?? rest.join("\n");
    const frame = stack.split("\n").find((l) => /^\s*(File "|at\s)/.test(l));
    out.push(`  ${e.count}× on ${e.nodes.join(", ")}: ${message}`);
    if (frame) out.push(`      ${frame.trim()}`);
  }
  const firing = s.alerts.filter((a) => a.state === "firing");
  out.push("", s.alerts.length ? `ALERTS (${firing.length} firing)` : "no alerts");
  for (const a of s.alerts) out.push(`  ${a.state.padEnd(8)} ${a.severity.padEnd(8)} ${a.rule}: ${a.message}`);
  const { findings } = s;
  if (findings.critical + findings.warning + findings.info > 0) {
    out.push("", `FINDINGS: ${findings.critical} critical, ${findings.warning} warning, ${findings.info} info`);
    for (const f of findings.top) out.push(`  ${f.severity.padEnd(8)} ${f.source}/${f.subject}: ${f.title}`);
  }
  const { current, previousRun, previousEnvironment } = s.comparison;
  out.push(
    "",
    "COMPARISON",
    formatTable(
      ["RUN", "DURATION", "ERRORS", "GPU UTIL", "GPU MEM PEAK", "HOST MEM PEAK"],
      [
        figures("this run", current),
        figures(previousRun ? `previous (${previousRun.runId})` : "previous run", previousRun),
        figures(
          previousEnvironment
            ? `${previousEnvironment.environment ?? "previous env"} (${previousEnvironment.runId})`
            : "previous environment",
          previousEnvironment,
        ),
      ],
    ),
  );
  return out.join("\n");
}
