import type { AppSummary } from "../spark.types.ts";
import { isJson, type Json } from "./json.ts";

/** The Spark settings worth keeping from the environment (the rest can be thousands of keys). */
const CONFIG_OF_INTEREST = new Set([
  "spark.master",
  "spark.submit.deployMode",
  "spark.executor.memory",
  "spark.executor.memoryOverhead",
  "spark.executor.cores",
  "spark.executor.instances",
  "spark.driver.memory",
  "spark.memory.fraction",
  "spark.sql.shuffle.partitions",
  "spark.default.parallelism",
  "spark.dynamicAllocation.enabled",
  "spark.sql.adaptive.enabled",
  "spark.sql.adaptive.skewJoin.enabled",
  "spark.speculation",
  "spark.plugins",
  "spark.rapids.sql.enabled",
  "spark.rapids.memory.gpu.allocFraction",
  "spark.rapids.sql.concurrentGpuTasks",
  "spark.executor.resource.gpu.amount",
  "spark.task.resource.gpu.amount",
  "spark.databricks.clusterUsageTags.sparkVersion",
  "spark.databricks.photon.enabled",
  "spark.eventLog.compression.codec",
]);

/** Events the analyzer knows; anything else is counted as unknown and skipped. */
export const IGNORED_EVENTS = new Set([
  "SparkListenerBlockManagerAdded",
  "SparkListenerBlockUpdated",
  "SparkListenerExecutorMetricsUpdate",
  "SparkListenerStageExecutorMetrics",
  "SparkListenerResourceProfileAdded",
  "SparkListenerTaskGettingResult",
  "SparkListenerUnpersistRDD",
  "SparkListenerSpeculativeTaskSubmitted",
  "SparkListenerUnschedulableTaskSetAdded",
  "SparkListenerUnschedulableTaskSetRemoved",
  "SparkListenerExecutorBlacklisted",
  "SparkListenerExecutorUnblacklisted",
  "SparkListenerExecutorExcluded",
  "SparkListenerExecutorUnexcluded",
  "SparkListenerExecutorBlacklistedForStage",
  "SparkListenerExecutorExcludedForStage",
  "SparkListenerNodeBlacklisted",
  "SparkListenerNodeUnblacklisted",
  "SparkListenerNodeExcluded",
  "SparkListenerNodeUnexcluded",
  "SparkListenerNodeBlacklistedForStage",
  "SparkListenerNodeExcludedForStage",
  "SparkListenerMiscellaneousProcessAdded",
  "org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionEnd",
  "org.apache.spark.sql.execution.ui.SparkListenerSQLAdaptiveExecutionUpdate",
  "org.apache.spark.sql.execution.ui.SparkListenerSQLAdaptiveSQLMetricUpdates",
  "org.apache.spark.sql.execution.ui.SparkListenerDriverAccumUpdates",
  "org.apache.spark.sql.execution.ui.SparkListenerEffectiveSQLConf",
  "org.apache.spark.sql.execution.streaming.StreamingQueryListener$QueryStartedEvent",
  "org.apache.spark.sql.execution.streaming.StreamingQueryListener$QueryProgressEvent",
  "org.apache.spark.sql.execution.streaming.StreamingQueryListener$QueryTerminatedEvent",
  "org.apache.spark.sql.streaming.StreamingQueryListener$QueryStartedEvent",
  "org.apache.spark.sql.streaming.StreamingQueryListener$QueryProgressEvent",
  "org.apache.spark.sql.streaming.StreamingQueryListener$QueryTerminatedEvent",
]);

export const MAX_MALFORMED_KEPT = 100;
export const MAX_STAGES_KEPT = 4000;
export const MAX_JOBS_KEPT = 10_000;
export const MAX_EXECUTORS_KEPT = 10_000;
/** What the environment event says about the application and what the analyzer should look for. */
export interface EnvironmentFacts {
  /** Databricks runtime or a RAPIDS/GPU setup: task accumulables carry Photon and GPU metrics worth scanning. */
  scanAccumulables: boolean;
  gpuRequested: boolean;
}

/** Reads `SparkListenerEnvironmentUpdate` into `app` (the settings of interest, master, runtime, Photon). */
export function readEnvironment(app: AppSummary, e: Json): EnvironmentFacts {
  const facts: EnvironmentFacts = { scanAccumulables: false, gpuRequested: false };
  const props = e["Spark Properties"];
  const entries: [string, unknown][] = Array.isArray(props)
    ? props.filter((p): p is [string, unknown] => Array.isArray(p) && typeof p[0] === "string").map((p) => [p[0], p[1]])
    : isJson(props)
      ? Object.entries(props)
      : [];
  for (const [key, value] of entries) {
    if (CONFIG_OF_INTEREST.has(key) && typeof value === "string") app.config[key] = value;
  }
  const config = app.config;
  if (config["spark.master"]) {
    app.master = config["spark.master"];
    app.clusterManager = clusterManager(config["spark.master"]);
  }
  const runtime = config["spark.databricks.clusterUsageTags.sparkVersion"];
  if (runtime) {
    app.databricksRuntime = runtime;
    facts.scanAccumulables = true;
    if (/photon/i.test(runtime)) app.photon = true;
  }
  if (config["spark.databricks.photon.enabled"] === "true") app.photon = true;
  if (
    Number(config["spark.executor.resource.gpu.amount"] ?? 0) > 0 ||
    Number(config["spark.task.resource.gpu.amount"] ?? 0) > 0
  ) {
    facts.gpuRequested = true;
    facts.scanAccumulables = true;
  }
  if ((config["spark.plugins"] ?? "").includes("com.nvidia.spark")) facts.scanAccumulables = true;
  return facts;
}

function clusterManager(master: string): AppSummary["clusterManager"] {
  if (master.startsWith("yarn")) return "yarn";
  if (master.startsWith("k8s://")) return "kubernetes";
  if (master.startsWith("spark://")) return "standalone";
  if (master.startsWith("local")) return "local";
  if (master.startsWith("mesos://")) return "mesos";
  return "unknown";
}
