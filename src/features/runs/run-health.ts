import type { AlertsService } from "./alerts.service.ts";
import type { RunsService } from "./runs.service.ts";
import type { RunRecord } from "./runs.types.ts";

export interface RunHealthVerdict {
  passed: boolean;
  actual: string;
  message: string;
  runIds: string[];
}

/**
 * Whether a commit's runs are healthy enough to promote: the latest run per job and environment (or in `environment`) ended
 * `succeeded`, has no critical alert still firing and no problem from the registered `checks`. No run at all fails: "it ran in staging" needs a run.
 */
export function createRunHealth(deps: {
  runs: Pick<RunsService, "ofCommit">;
  alerts: Pick<AlertsService, "list">;
  /** Further evidence about a run from other features (e.g. critical Spark findings); each string is one problem. */
  checks?: ReadonlyArray<(run: RunRecord) => Promise<string[]>>;
}) {
  return async function runHealth(input: {
    projectId: string;
    commitSha: string;
    environment?: string;
  }): Promise<RunHealthVerdict> {
    const short = input.commitSha.slice(0, 7);
    const latest = new Map<string, RunRecord>();
    for (const run of await deps.runs.ofCommit(input.projectId, input.commitSha, input.environment)) {
      const key = `${run.environment ?? ""}\u0000${run.name}`;
      if (!latest.has(key)) latest.set(key, run);
    }
    const runs = [...latest.values()];
    if (runs.length === 0) {
      return {
        passed: false,
        actual: "no run",
        message: `no run of commit ${short}${input.environment ? ` in ${input.environment}` : ""} to judge`,
        runIds: [],
      };
    }
    const problems: string[] = [];
    for (const run of runs) {
      const where = `run ${run.id}${run.environment ? ` in ${run.environment}` : ""}`;
      if (run.status === "running") problems.push(`${where} is still running`);
      else if (run.status !== "succeeded") problems.push(`${where} ended ${run.status}`);
      const critical = (await deps.alerts.list(run.id)).filter((a) => a.state === "firing" && a.severity === "critical");
      for (const alert of critical) problems.push(`${where} has critical alert ${alert.rule}: ${alert.message}`);
      for (const check of deps.checks ?? []) for (const problem of await check(run)) problems.push(`${where}: ${problem}`);
    }
    return {
      passed: problems.length === 0,
      actual: problems.length ? `${problems.length} problem(s)` : "healthy",
      message: problems.length ? problems.join("; ") : `${runs.length} run(s) of ${short} succeeded with no critical alert`,
      runIds: runs.map((r) => r.id),
    };
  };
}

export type RunHealth = ReturnType<typeof createRunHealth>;
