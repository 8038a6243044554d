import type { RawAnalysis } from "../analyzer/event-log.analyzer.ts";
import type { Finding } from "../spark.types.ts";
import { isGpuOom } from "./failures.diagnosis.ts";
import { pct, seconds, THRESHOLDS as T } from "./thresholds.ts";

const GPU_OOM_STAGE = /GpuSplitAndRetryOOM|GpuRetryOOM|GPU OutOfMemory|GpuOOM/i;

/** GPU out of memory (spark-rapids), retry storms, and GPUs requested but never used. */
export function gpu(raw: RawAnalysis): Finding[] {
  const findings: Finding[] = [];
  const ooms = raw.failures.filter(isGpuOom);
  const oomTasks = ooms.reduce((sum, g) => sum + g.count, 0);
  if (oomTasks > 0) {
    const failedStage = raw.stages.find((s) => s.failureReason !== null && GPU_OOM_STAGE.test(s.failureReason));
    const stages = [...new Set(ooms.flatMap((g) => g.stages))];
    findings.push({
      code: "gpu_oom",
      severity: "critical",
      title: failedStage
        ? `GPU out of memory failed stage ${failedStage.stageId} (${oomTasks} task failures)`
        : `${oomTasks} tasks ran out of GPU memory`,
      evidence: {
        failedTasks: oomTasks,
        failingStage: failedStage?.stageId ?? stages[0] ?? null,
        stages: stages.join(", "),
        exception: ooms[0]?.exceptionClass ?? null,
        frame: ooms[0]?.frame ?? null,
        example: ooms[0]?.example.slice(0, 300) ?? null,
        gpuRetries: raw.totals.gpuRetries,
        gpuSplitRetries: raw.totals.gpuSplitRetries,
      },
      advice:
        "Batches did not fit in GPU memory even after spark-rapids split and retried them. Run fewer tasks per GPU, use smaller batches or more partitions, or give RMM a larger pool.",
      setting: "spark.rapids.sql.concurrentGpuTasks",
    });
  }
  const retries = raw.totals.gpuRetries + raw.totals.gpuSplitRetries;
  if (retries >= T.gpuRetryStorm) {
    findings.push({
      code: "gpu_retry_storm",
      severity: oomTasks > 0 ? "critical" : "warning",
      title: `spark-rapids retried GPU allocations ${retries} times`,
      evidence: { gpuRetryCount: raw.totals.gpuRetries, gpuSplitAndRetryCount: raw.totals.gpuSplitRetries },
      advice: "GPU memory is oversubscribed: tasks keep rolling back and retrying. Lower concurrent GPU tasks or batch size.",
      setting: "spark.rapids.sql.batchSizeBytes",
    });
  }
  const plugins = raw.app.config["spark.plugins"] ?? "";
  const rapidsOff = !plugins.includes("com.nvidia.spark") || raw.app.config["spark.rapids.sql.enabled"] === "false";
  if (raw.gpuRequested && !raw.gpuMetricsSeen && rapidsOff) {
    findings.push({
      code: "gpu_unused",
      severity: "warning",
      title: "GPUs were requested but nothing ran on them",
      evidence: {
        executorGpuAmount: raw.app.config["spark.executor.resource.gpu.amount"] ?? null,
        taskGpuAmount: raw.app.config["spark.task.resource.gpu.amount"] ?? null,
        plugins: plugins || null,
        rapidsSqlEnabled: raw.app.config["spark.rapids.sql.enabled"] ?? null,
      },
      advice:
        "Executors held GPUs but no task reported GPU work. Enable the RAPIDS plugin (or your GPU library) or stop requesting GPUs.",
      setting: "spark.plugins",
    });
  }
  return findings;
}

/** Wall time with no task running (the driver planning, collecting, or waiting), and executors sitting idle. */
export function timeUse(raw: RawAnalysis): Finding[] {
  const findings: Finding[] = [];
  const duration = raw.app.durationMs ?? 0;
  const driver = raw.totals.driverOnlyMs;
  if (duration > 0 && driver >= T.driverBoundMinMs && driver / duration >= T.driverBoundShare) {
    findings.push({
      code: "driver_bound",
      severity: "warning",
      title: `No task ran for ${pct(driver, duration)} % of the application's wall time`,
      evidence: { driverOnlyMs: driver, durationMs: duration, percent: pct(driver, duration) },
      advice: `${seconds(driver)} went to the driver alone: planning, collect() / toPandas(), Python or file listing on the driver. Move that work into Spark or shorten it.`,
    });
  }
  const alive = raw.totals.executorAliveMs;
  const idle = raw.totals.idleExecutorMs;
  if (alive >= T.idleMinExecutorMs && idle / alive >= T.idleShare) {
    const dynamic = raw.app.config["spark.dynamicAllocation.enabled"] === "true";
    findings.push({
      code: "idle_executors",
      severity: "info",
      title: `Executor cores sat idle ${pct(idle, alive)} % of the time they were held`,
      evidence: { idleCoreMs: idle, heldCoreMs: alive, percent: pct(idle, alive), dynamicAllocation: dynamic },
      advice: dynamic
        ? "Executors stay up longer than work keeps them busy: lower the idle timeout."
        : "You pay for executors that do nothing for long stretches: enable dynamic allocation or use fewer executors.",
      setting: dynamic ? "spark.dynamicAllocation.executorIdleTimeout" : "spark.dynamicAllocation.enabled",
    });
  }
  return findings;
}
