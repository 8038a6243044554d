/** The model an event log is reduced to, as the API returns it: small, bounded in size whatever the size of the log. */

export type Severity = "info" | "warning" | "critical";

export interface Finding {
  /** Stable machine code, e.g. `stragglers`, `gpu_oom`. */
  code: string;
  severity: Severity;
  title: string;
  /** What in the log shows it: stage, executor, numbers. */
  evidence: Record<string, string | number | boolean | null>;
  advice: string;
  /** The Spark setting to look at, when there is one. */
  setting?: string;
}

export interface StageSummary {
  stageId: number;
  attempt: number;
  name: string;
  numTasks: number;
  submittedAt: number | null;
  completedAt: number | null;
  failureReason: string | null;
  tasks: number;
  failedTasks: number;
  killedTasks: number;
  /** Task durations (Finish Time − Launch Time), ms; exact up to the sample cap, sampled above it. */
  durationP50: number | null;
  durationP95: number | null;
  durationMax: number | null;
  /** True when the stage had more tasks than the sample keeps exactly. */
  sampled: boolean;
  runMs: number;
  gcMs: number;
  inputBytes: number;
  outputBytes: number;
  shuffleReadBytes: number;
  shuffleWriteBytes: number;
  shuffleReadMax: number;
  shuffleReadP50: number | null;
  memorySpill: number;
  diskSpill: number;
  /** The executor of the longest task. */
  slowestExecutor: string | null;
}

export interface ExecutorSummary {
  id: string;
  host: string | null;
  cores: number | null;
  gpus: number;
  addedAt: number | null;
  removedAt: number | null;
  removedReason: string | null;
  /** Sum of task run time on this executor (ms), for idle time. */
  busyMs: number;
  tasks: number;
}

export interface JobSummary {
  jobId: number;
  submittedAt: number | null;
  completedAt: number | null;
  result: string | null;
  stageIds: number[];
}

export interface FailureGroup {
  /** Exception class (or end reason) + first meaningful frame. */
  cause: string;
  reason: string;
  exceptionClass: string | null;
  frame: string | null;
  count: number;
  stages: number[];
  executors: string[];
  example: string;
}

export interface MalformedLine {
  line: number;
  error: string;
}

export interface AppSummary {
  appId: string | null;
  appName: string | null;
  attempt: string | null;
  sparkVersion: string | null;
  /** Databricks runtime (`spark.databricks.clusterUsageTags.sparkVersion`), or null outside Databricks. */
  databricksRuntime: string | null;
  /** Spark version from Databricks' own first event, when there is no SparkListenerLogStart. */
  databricksSparkVersion: string | null;
  photon: boolean;
  master: string | null;
  clusterManager: "yarn" | "kubernetes" | "standalone" | "local" | "mesos" | "unknown";
  startTime: number | null;
  endTime: number | null;
  durationMs: number | null;
  /** Spark settings the diagnoses look at (GPU, dynamic allocation, AQE, memory). */
  config: Record<string, string>;
}

export interface SparkCounts {
  lines: number;
  events: number;
  malformed: number;
  unknownEvents: number;
  unknownEventTypes: Record<string, number>;
  jobsStarted: number;
  jobResults: Record<string, number>;
  stagesSubmitted: number;
  stagesCompleted: number;
  stagesFailed: number;
  taskEnds: number;
  taskReasons: Record<string, number>;
  execAdded: number;
  execRemoved: number;
  blockManagersRemoved: number;
  sqlExecutions: number;
}

export interface SparkTotals {
  runMs: number;
  gcMs: number;
  cpuNs: number;
  memorySpill: number;
  diskSpill: number;
  inputBytes: number;
  outputBytes: number;
  shuffleReadBytes: number;
  shuffleWriteBytes: number;
  /** Wall time between application start and end during which no task was running. */
  driverOnlyMs: number;
  /** Executor-ms alive minus executor-ms busy (per-core). */
  idleExecutorMs: number;
  executorAliveMs: number;
  photonTasks: number;
  /** spark-rapids retry / split-retry OOM counters seen in task accumulators. */
  gpuRetries: number;
  gpuSplitRetries: number;
}

export interface SparkAnalysis {
  app: AppSummary;
  counts: SparkCounts;
  totals: SparkTotals;
  complete: boolean;
  hasApplicationEnd: boolean;
  lastEvent: string | null;
  /** Why the log is incomplete or partial (truncation, a corrupt frame), if it is. */
  incompleteReasons: string[];
  malformedLines: MalformedLine[];
  executorsRemoved: { id: string; reason: string; at: number | null }[];
  stages: StageSummary[];
  jobs: JobSummary[];
  executors: ExecutorSummary[];
  failures: FailureGroup[];
  findings: Finding[];
  /** What was read: codec, bytes, parts. */
  source: SourceInfo;
}

export type Codec = "none" | "gzip" | "zstd" | "lz4" | "snappy";

export interface SourceInfo {
  codec: Codec;
  parts: number;
  compressedBytes: number;
  decompressedBytes: number;
  /** For rolling directories: whether `appstatus_*` said the app finished (no `.inprogress`). */
  appStatus: "finished" | "in_progress" | null;
}
