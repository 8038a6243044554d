import type { RawAnalysis } from "../analyzer/event-log.analyzer.ts";
import type { FailureGroup, Finding, Severity } from "../spark.types.ts";
import { THRESHOLDS as T } from "./thresholds.ts";

/** Removal reasons that are the cluster manager doing what the driver asked (dynamic allocation, shutdown), not a loss. */
const NORMAL_REMOVAL =
  /killed by driver|explicit termination request|decommission|scaled? ?down|idle timeout|Executor is idle|requested by driver|application (has )?finished|SparkContext (is )?(shutting|shut) down/i;

export function isExecutorLoss(reason: string): boolean {
  return !NORMAL_REMOVAL.test(reason);
}

export function executorLoss(raw: RawAnalysis): Finding[] {
  const lost = raw.executorsRemoved.filter((removed) => isExecutorLoss(removed.reason));
  if (lost.length === 0) return [];
  const memoryKill = lost.some((removed) =>
    /exceeding (physical )?memory|OOMKilled|exit code 137|OutOfMemory/i.test(removed.reason),
  );
  const first = lost[0];
  return [
    {
      code: "executor_loss",
      severity: memoryKill || lost.length > 2 ? "critical" : "warning",
      title: `${lost.length} executor${lost.length === 1 ? " was" : "s were"} lost`,
      evidence: {
        lost: lost.length,
        removed: raw.executorsRemoved.length,
        executors: lost
          .slice(0, 10)
          .map((removed) => removed.id)
          .join(", "),
        firstReason: first?.reason.slice(0, 300) ?? null,
        memoryKill,
      },
      advice: memoryKill
        ? "Executors were killed for using more memory than their container: raise the memory overhead (off-heap, Python, native/GPU buffers live there) or lower cores per executor."
        : "Executors died or lost contact (node loss, heartbeat timeouts, crashes). Check the executor and node logs at that time; work on them was recomputed.",
      setting: memoryKill ? "spark.executor.memoryOverhead" : "spark.network.timeout",
    },
  ];
}

export function fetchFailures(raw: RawAnalysis): Finding[] {
  const fetchFailed = raw.counts.taskReasons.FetchFailed ?? 0;
  const resubmitted = raw.stageResubmissions;
  if (fetchFailed === 0 && resubmitted === 0) return [];
  const group = raw.failures.find((g) => g.reason === "FetchFailed");
  return [
    {
      code: fetchFailed > 0 ? "fetch_failures" : "stage_retries",
      severity: fetchFailed > 0 ? "critical" : "warning",
      title:
        fetchFailed > 0
          ? `${fetchFailed} shuffle fetch failure${fetchFailed === 1 ? "" : "s"}; ${resubmitted} stage attempt${resubmitted === 1 ? "" : "s"} re-run`
          : `${resubmitted} stage attempt${resubmitted === 1 ? " was" : "s were"} re-run`,
      evidence: {
        fetchFailedTasks: fetchFailed,
        stageResubmissions: resubmitted,
        stages: group?.stages.join(", ") ?? null,
        executors: group?.executors.join(", ") ?? null,
        example: group?.example ?? null,
      },
      advice:
        "Shuffle files were lost with their executor (or could not be served in time), so upstream stages ran again. Fix executor loss first; an external shuffle service keeps shuffle files when executors go.",
      setting: "spark.shuffle.service.enabled",
    },
  ];
}

const ADVICE: Record<string, { advice: string; setting?: string }> = {
  python_udf: {
    advice: "A Python UDF raised an error: the frame above is where. Fix the UDF or guard it against the input that breaks it.",
  },
  jvm_oom: {
    advice: "The executor JVM ran out of heap. Give executors more memory or reduce data per task (more partitions).",
    setting: "spark.executor.memory",
  },
  yarn_memory_kill: {
    advice:
      "YARN killed the container for exceeding its memory limit: raise the overhead (off-heap, Python workers, native buffers).",
    setting: "spark.executor.memoryOverhead",
  },
  executor_lost: {
    advice: "Tasks failed because their executor went away; see executor loss.",
    setting: "spark.network.timeout",
  },
  exception: { advice: "Tasks threw this exception; the frame shows where. Fix the cause and re-run." },
  other: { advice: "Tasks failed for this reason; check the executor logs." },
};

function severityOf(group: FailureGroup, raw: RawAnalysis): Severity {
  const failedStage = raw.stages.some((s) => s.failureReason !== null && group.stages.includes(s.stageId));
  return failedStage || group.count >= 4 ? "critical" : "warning";
}

/** Task failures by root cause (exception class + first meaningful frame). GPU OOM has its own finding; kills are not failures. */
export function taskFailures(raw: RawAnalysis): Finding[] {
  return raw.failures
    .filter((g) => g.reason !== "TaskKilled" && g.reason !== "FetchFailed" && !isGpuOom(g))
    .slice(0, T.maxFindingsPerKind)
    .map((group) => {
      const kind = kindOf(group);
      const help = ADVICE[kind] ?? ADVICE.other;
      return {
        code: `task_failures_${kind}`,
        severity: severityOf(group, raw),
        title: `${group.count} task${group.count === 1 ? "" : "s"} failed with ${group.cause}`,
        evidence: {
          cause: group.cause,
          count: group.count,
          stages: group.stages.join(", "),
          executors: group.executors.join(", "),
          example: group.example,
        },
        advice: help?.advice ?? "",
        ...(help?.setting ? { setting: help.setting } : {}),
      };
    });
}

export function isGpuOom(group: FailureGroup): boolean {
  return /GpuSplitAndRetryOOM|GpuRetryOOM|GpuOOM|GPU OutOfMemory|RMM.*out of memory/i.test(
    `${group.exceptionClass ?? ""} ${group.example}`,
  );
}

function kindOf(group: FailureGroup): string {
  const cls = group.exceptionClass ?? "";
  if (/PythonException/.test(cls)) return "python_udf";
  if (/OutOfMemoryError/.test(cls)) return "jvm_oom";
  if (/killed by YARN for exceeding/i.test(group.example)) return "yarn_memory_kill";
  if (group.reason === "ExecutorLostFailure") return "executor_lost";
  if (group.reason === "ExceptionFailure") return "exception";
  return "other";
}

/** Jobs that failed, with the failed stages' reasons. */
export function failedJobs(raw: RawAnalysis): Finding[] {
  const failed = raw.counts.jobResults.JobFailed ?? 0;
  if (failed === 0) return [];
  const aborted = raw.stages.filter(
    (s) => s.failureReason !== null && !/cancelled because SparkContext was shut down/i.test(s.failureReason),
  );
  const first = aborted[0] ?? raw.stages.find((s) => s.failureReason !== null);
  return [
    {
      code: "failed_jobs",
      severity: "critical",
      title: `${failed} of ${raw.counts.jobsStarted} jobs failed`,
      evidence: {
        failedJobs: failed,
        failedStages: raw.counts.stagesFailed,
        abortedStage: first?.stageId ?? null,
        reason: first?.failureReason?.slice(0, 400) ?? null,
      },
      advice:
        "The application did not do all its work. The first aborted stage's reason is the one to fix; later stages were cancelled with it.",
    },
  ];
}
