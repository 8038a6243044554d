import type {
  AppSummary,
  ExecutorSummary,
  FailureGroup,
  JobSummary,
  MalformedLine,
  SparkCounts,
  SparkTotals,
  StageSummary,
} from "../spark.types.ts";
import { rootCause } from "./failure-cause.ts";
import { arr, bump, isJson, type Json, num, numOrNull, obj, str } from "./json.ts";
import { StageState, type TaskNumbers } from "./stage-state.ts";

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
const IGNORED_EVENTS = new Set([
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

const MAX_MALFORMED_KEPT = 100;
const MAX_STAGES_KEPT = 4000;
const MAX_JOBS_KEPT = 10_000;
const MAX_EXECUTORS_KEPT = 10_000;
const MAX_FAILURE_GROUPS = 200;
/** Lines longer than this are refused as malformed instead of parsed (a runaway line would eat memory). */
export const MAX_LINE_CHARS = 64 * 1024 * 1024;

interface GroupState extends FailureGroup {
  stageSet: Set<number>;
  executorSet: Set<string>;
}

export interface RawAnalysis {
  app: AppSummary;
  counts: SparkCounts;
  totals: SparkTotals;
  hasApplicationEnd: boolean;
  lastEvent: string | null;
  /** The last timestamp seen in any event, for logs without an end. */
  lastTime: number | null;
  /** Whether the final line had no newline and did not parse: the writer was cut off mid-line. */
  cutOffLastLine: boolean;
  malformedLines: MalformedLine[];
  executorsRemoved: { id: string; reason: string; at: number | null }[];
  stages: StageSummary[];
  jobs: JobSummary[];
  executors: ExecutorSummary[];
  failures: FailureGroup[];
  gpuRequested: boolean;
  gpuMetricsSeen: boolean;
  stageResubmissions: number;
}

/**
 * Builds the model from event-log lines, one at a time, in memory bounded by the number of stages, executors and
 * jobs kept (all capped) and the tasks of the stages running at once (sampled per stage).
 */
export class EventLogAnalyzer {
  private lineNo = 0;
  private readonly counts: SparkCounts = {
    lines: 0,
    events: 0,
    malformed: 0,
    unknownEvents: 0,
    unknownEventTypes: {},
    jobsStarted: 0,
    jobResults: {},
    stagesSubmitted: 0,
    stagesCompleted: 0,
    stagesFailed: 0,
    taskEnds: 0,
    taskReasons: {},
    execAdded: 0,
    execRemoved: 0,
    blockManagersRemoved: 0,
    sqlExecutions: 0,
  };
  private readonly totals: SparkTotals = {
    runMs: 0,
    gcMs: 0,
    cpuNs: 0,
    memorySpill: 0,
    diskSpill: 0,
    inputBytes: 0,
    outputBytes: 0,
    shuffleReadBytes: 0,
    shuffleWriteBytes: 0,
    driverOnlyMs: 0,
    idleExecutorMs: 0,
    executorAliveMs: 0,
    photonTasks: 0,
    gpuRetries: 0,
    gpuSplitRetries: 0,
  };
  private readonly app: AppSummary = {
    appId: null,
    appName: null,
    attempt: null,
    sparkVersion: null,
    databricksRuntime: null,
    databricksSparkVersion: null,
    photon: false,
    master: null,
    clusterManager: "unknown",
    startTime: null,
    endTime: null,
    durationMs: null,
    config: {},
  };
  private hasApplicationEnd = false;
  private lastEvent: string | null = null;
  private lastTime: number | null = null;
  private readonly malformedLines: MalformedLine[] = [];
  private readonly executorsRemoved: { id: string; reason: string; at: number | null }[] = [];
  private readonly stageStates = new Map<string, StageState>();
  private readonly finishedStages: StageSummary[] = [];
  private readonly stageAttemptsSeen = new Map<number, number>();
  private stageResubmissions = 0;
  private readonly jobs = new Map<number, JobSummary>();
  private readonly executors = new Map<string, ExecutorSummary>();
  private readonly failures = new Map<string, GroupState>();
  private scanAccumulables = false;
  private gpuRequested = false;
  private gpuMetricsSeen = false;
  // Driver-bound time: tasks running right now, and when the current busy stretch began.
  private readonly running = new Set<number>();
  private busySince = 0;
  private busyMs = 0;
  private sawTaskStart = false;
  private cutOffLastLine = false;

  /** One line of the log (without its newline). `last` marks a final line that had no newline. */
  line(text: string, last = false): void {
    this.lineNo++;
    if (text.length === 0 || (text.length < 8 && text.trim() === "")) return;
    this.counts.lines++;
    if (text.length > MAX_LINE_CHARS) {
      this.malformed(`line longer than ${MAX_LINE_CHARS} characters`);
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      if (last) this.cutOffLastLine = true;
      this.malformed((error as Error).message);
      return;
    }
    if (!isJson(parsed) || typeof parsed.Event !== "string") {
      this.malformed('not a Spark event (no "Event" field)');
      return;
    }
    this.counts.events++;
    this.lastEvent = parsed.Event;
    this.dispatch(parsed.Event, parsed);
  }

  /** Lines counted so far, malformed and blank included: where a later part of a rolling log continues. */
  get linesRead(): number {
    return this.lineNo;
  }

  get eventsRead(): number {
    return this.counts.events;
  }

  private malformed(error: string): void {
    this.counts.malformed++;
    if (this.malformedLines.length < MAX_MALFORMED_KEPT)
      this.malformedLines.push({ line: this.lineNo, error: error.slice(0, 200) });
  }

  private seen(time: number | null): void {
    if (time !== null && time > 0 && (this.lastTime === null || time > this.lastTime)) this.lastTime = time;
  }

  private dispatch(event: string, e: Json): void {
    switch (event) {
      case "SparkListenerTaskEnd":
        this.taskEnd(e);
        return;
      case "SparkListenerTaskStart":
        this.taskStart(e);
        return;
      case "SparkListenerStageSubmitted":
        this.stageSubmitted(e);
        return;
      case "SparkListenerStageCompleted":
        this.stageCompleted(e);
        return;
      case "SparkListenerJobStart":
        this.jobStart(e);
        return;
      case "SparkListenerJobEnd":
        this.jobEnd(e);
        return;
      case "SparkListenerExecutorAdded":
        this.executorAdded(e);
        return;
      case "SparkListenerExecutorRemoved":
        this.executorRemoved(e);
        return;
      case "SparkListenerBlockManagerRemoved":
        this.counts.blockManagersRemoved++;
        this.seen(numOrNull(e, "Timestamp"));
        return;
      case "SparkListenerEnvironmentUpdate":
        this.environment(e);
        return;
      case "SparkListenerApplicationStart":
        this.app.appName = str(e, "App Name");
        this.app.appId = str(e, "App ID");
        this.app.attempt = str(e, "App Attempt ID");
        this.app.startTime = numOrNull(e, "Timestamp");
        this.seen(this.app.startTime);
        return;
      case "SparkListenerApplicationEnd":
        this.hasApplicationEnd = true;
        this.app.endTime = numOrNull(e, "Timestamp");
        this.seen(this.app.endTime);
        return;
      case "SparkListenerLogStart":
        this.app.sparkVersion = str(e, "Spark Version");
        return;
      case "DBCEventLoggingListenerMetadata":
        // Databricks writes this instead of SparkListenerLogStart (and again at each rollover).
        this.app.databricksSparkVersion ??= str(e, "Spark Version");
        this.scanAccumulables = true;
        return;
      case "org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionStart":
        this.counts.sqlExecutions++;
        this.seen(numOrNull(e, "time"));
        return;
      default:
        if (IGNORED_EVENTS.has(event)) return;
        this.counts.unknownEvents++;
        bump(this.counts.unknownEventTypes, event, 50);
    }
  }

  private environment(e: Json): void {
    const props = e["Spark Properties"];
    const entries: [string, unknown][] = Array.isArray(props)
      ? props.filter((p): p is [string, unknown] => Array.isArray(p) && typeof p[0] === "string").map((p) => [p[0], p[1]])
      : isJson(props)
        ? Object.entries(props)
        : [];
    for (const [key, value] of entries) {
      if (CONFIG_OF_INTEREST.has(key) && typeof value === "string") this.app.config[key] = value;
    }
    const config = this.app.config;
    if (config["spark.master"]) {
      this.app.master = config["spark.master"];
      this.app.clusterManager = clusterManager(config["spark.master"]);
    }
    const runtime = config["spark.databricks.clusterUsageTags.sparkVersion"];
    if (runtime) {
      this.app.databricksRuntime = runtime;
      this.scanAccumulables = true;
      if (/photon/i.test(runtime)) this.app.photon = true;
    }
    if (config["spark.databricks.photon.enabled"] === "true") this.app.photon = true;
    if (
      Number(config["spark.executor.resource.gpu.amount"] ?? 0) > 0 ||
      Number(config["spark.task.resource.gpu.amount"] ?? 0) > 0
    ) {
      this.gpuRequested = true;
      this.scanAccumulables = true;
    }
    if ((config["spark.plugins"] ?? "").includes("com.nvidia.spark")) this.scanAccumulables = true;
  }

  private executorAdded(e: Json): void {
    this.counts.execAdded++;
    const id = str(e, "Executor ID") ?? "?";
    const info = obj(e, "Executor Info");
    const gpu = obj(obj(info, "Resources"), "gpu");
    const gpus = arr(gpu, "addresses").length;
    if (gpus > 0) {
      this.gpuRequested = true;
      this.scanAccumulables = true;
    }
    const at = numOrNull(e, "Timestamp");
    this.seen(at);
    if (this.executors.size >= MAX_EXECUTORS_KEPT && !this.executors.has(id)) return;
    this.executors.set(id, {
      id,
      host: str(info, "Host"),
      cores: numOrNull(info, "Total Cores"),
      gpus,
      addedAt: at,
      removedAt: null,
      removedReason: null,
      busyMs: 0,
      tasks: 0,
    });
  }

  private executorRemoved(e: Json): void {
    this.counts.execRemoved++;
    const id = str(e, "Executor ID") ?? "?";
    const reason = str(e, "Removed Reason") ?? "";
    const at = numOrNull(e, "Timestamp");
    this.seen(at);
    if (this.executorsRemoved.length < MAX_EXECUTORS_KEPT) this.executorsRemoved.push({ id, reason, at });
    const executor = this.executors.get(id);
    if (executor) {
      executor.removedAt = at;
      executor.removedReason = reason;
    }
  }

  private jobStart(e: Json): void {
    this.counts.jobsStarted++;
    const jobId = num(e, "Job ID");
    const at = numOrNull(e, "Submission Time");
    this.seen(at);
    if (this.jobs.size >= MAX_JOBS_KEPT) return;
    const stageIds = arr(e, "Stage IDs").filter((id): id is number => typeof id === "number");
    this.jobs.set(jobId, { jobId, submittedAt: at, completedAt: null, result: null, stageIds: stageIds.slice(0, 200) });
  }

  private jobEnd(e: Json): void {
    const result = str(obj(e, "Job Result"), "Result") ?? "unknown";
    bump(this.counts.jobResults, result);
    const at = numOrNull(e, "Completion Time");
    this.seen(at);
    const job = this.jobs.get(num(e, "Job ID"));
    if (job) {
      job.completedAt = at;
      job.result = result;
    }
  }

  private stage(info: Json | undefined): StageState {
    const stageId = num(info, "Stage ID");
    const attempt = num(info, "Stage Attempt ID");
    const key = `${stageId}:${attempt}`;
    let state = this.stageStates.get(key);
    if (!state) {
      state = new StageState(stageId, attempt);
      this.stageStates.set(key, state);
    }
    return state;
  }

  private stageSubmitted(e: Json): void {
    this.counts.stagesSubmitted++;
    const info = obj(e, "Stage Info");
    const state = this.stage(info);
    state.summary.name = (str(info, "Stage Name") ?? "").slice(0, 200);
    state.summary.numTasks = num(info, "Number of Tasks");
    state.summary.submittedAt = numOrNull(info, "Submission Time");
    this.seen(state.summary.submittedAt);
    const id = state.summary.stageId;
    const attempts = this.stageAttemptsSeen.get(id) ?? 0;
    if (attempts > 0) this.stageResubmissions++;
    if (this.stageAttemptsSeen.size < 100_000) this.stageAttemptsSeen.set(id, attempts + 1);
  }

  private stageCompleted(e: Json): void {
    const info = obj(e, "Stage Info");
    const failure = str(info, "Failure Reason");
    if (failure !== null) this.counts.stagesFailed++;
    else this.counts.stagesCompleted++;
    const state = this.stage(info);
    const s = state.summary;
    if (!s.name) s.name = (str(info, "Stage Name") ?? "").slice(0, 200);
    if (!s.numTasks) s.numTasks = num(info, "Number of Tasks");
    s.submittedAt ??= numOrNull(info, "Submission Time");
    s.completedAt = numOrNull(info, "Completion Time");
    s.failureReason = failure === null ? null : failure.slice(0, 1000);
    this.seen(s.completedAt);
    if (!state.finalized) {
      this.finishedStages.push(state.finalize());
      this.pruneStages();
    }
  }

  /** Keeps the stages that cost the most task time once there are too many to keep them all. */
  private pruneStages(): void {
    if (this.finishedStages.length <= MAX_STAGES_KEPT) return;
    this.finishedStages.sort((a, b) => b.runMs - a.runMs);
    this.finishedStages.length = MAX_STAGES_KEPT / 2;
    for (const [key, state] of this.stageStates) if (state.finalized) this.stageStates.delete(key);
    for (const s of this.finishedStages) {
      const state = new StageState(s.stageId, s.attempt);
      Object.assign(state.summary, s);
      state.finalize();
      this.stageStates.set(`${s.stageId}:${s.attempt}`, state);
    }
  }

  private taskStart(e: Json): void {
    const info = obj(e, "Task Info");
    const launch = num(info, "Launch Time");
    this.seen(launch);
    this.sawTaskStart = true;
    if (this.running.size === 0) this.busySince = launch;
    if (this.running.size < 1_000_000) this.running.add(num(info, "Task ID"));
  }

  private taskEnd(e: Json): void {
    this.counts.taskEnds++;
    const reasonObj = obj(e, "Task End Reason");
    const reason = str(reasonObj, "Reason") ?? "Unknown";
    bump(this.counts.taskReasons, reason);
    const info = obj(e, "Task Info");
    const metrics = obj(e, "Task Metrics");
    const launch = num(info, "Launch Time");
    const finish = num(info, "Finish Time");
    this.seen(finish);
    const taskId = num(info, "Task ID");
    if (this.running.delete(taskId) && this.running.size === 0) this.busyMs += Math.max(0, finish - this.busySince);
    const executorId = str(info, "Executor ID");
    const shuffleRead = obj(metrics, "Shuffle Read Metrics");
    const task: TaskNumbers = {
      durationMs: finish > 0 && launch > 0 ? finish - launch : null,
      executorId,
      failed: reason !== "Success",
      killed: reason === "TaskKilled",
      runMs: num(metrics, "Executor Run Time"),
      gcMs: num(metrics, "JVM GC Time"),
      inputBytes: num(obj(metrics, "Input Metrics"), "Bytes Read"),
      outputBytes: num(obj(metrics, "Output Metrics"), "Bytes Written"),
      shuffleReadBytes: num(shuffleRead, "Remote Bytes Read") + num(shuffleRead, "Local Bytes Read"),
      shuffleWriteBytes: num(obj(metrics, "Shuffle Write Metrics"), "Shuffle Bytes Written"),
      memorySpill: num(metrics, "Memory Bytes Spilled"),
      diskSpill: num(metrics, "Disk Bytes Spilled"),
    };
    const t = this.totals;
    t.runMs += task.runMs;
    t.gcMs += task.gcMs;
    t.cpuNs += num(metrics, "Executor CPU Time");
    t.memorySpill += task.memorySpill;
    t.diskSpill += task.diskSpill;
    t.inputBytes += task.inputBytes;
    t.outputBytes += task.outputBytes;
    t.shuffleReadBytes += task.shuffleReadBytes;
    t.shuffleWriteBytes += task.shuffleWriteBytes;
    const stage = this.stage({ "Stage ID": e["Stage ID"], "Stage Attempt ID": e["Stage Attempt ID"] });
    stage.addTask(task);
    if (executorId !== null) {
      const executor = this.executors.get(executorId);
      if (executor) {
        executor.tasks++;
        if (task.durationMs !== null) executor.busyMs += task.durationMs;
      }
    }
    if (this.scanAccumulables) this.accumulables(info);
    if (task.failed && reasonObj) this.failure(reasonObj, reason, stage.summary.stageId, executorId);
  }

  /** spark-rapids and Photon report through task accumulators, not Task Metrics. */
  private accumulables(info: Json | undefined): void {
    let photon = false;
    for (const acc of arr(info, "Accumulables")) {
      if (!isJson(acc)) continue;
      const name = acc.Name;
      if (typeof name !== "string") continue;
      const first = name.charCodeAt(0);
      if (first === 103 /* g */ && name.startsWith("gpu")) {
        this.gpuMetricsSeen = true;
        if (name === "gpuRetryCount") this.totals.gpuRetries += num(acc, "Update");
        else if (name === "gpuSplitAndRetryCount") this.totals.gpuSplitRetries += num(acc, "Update");
      } else if (!photon && first === 105 /* i */ && name === "internal.metrics.photonizedTaskTimeNs" && num(acc, "Update") > 0) {
        photon = true;
      }
    }
    if (photon) {
      this.totals.photonTasks++;
      this.app.photon = true;
    }
  }

  private failure(reasonObj: Json, reason: string, stageId: number, executorId: string | null): void {
    const cause = rootCause(reasonObj, reason);
    let group = this.failures.get(cause.key);
    if (!group) {
      if (this.failures.size >= MAX_FAILURE_GROUPS) return;
      group = {
        cause: [cause.exceptionClass ?? reason, cause.frame].filter(Boolean).join(" at "),
        reason,
        exceptionClass: cause.exceptionClass,
        frame: cause.frame,
        count: 0,
        stages: [],
        executors: [],
        example: cause.message.slice(0, 500),
        stageSet: new Set(),
        executorSet: new Set(),
      };
      this.failures.set(cause.key, group);
    }
    group.count++;
    if (group.stageSet.size < 50) group.stageSet.add(stageId);
    const where = cause.executorId ?? executorId;
    if (where !== null && group.executorSet.size < 50) group.executorSet.add(where);
  }

  /** Everything read so far as a model; the analyzer can keep going afterwards (rolling parts). */
  finish(): RawAnalysis {
    const end = this.app.endTime ?? this.lastTime;
    const start = this.app.startTime;
    if (start !== null && end !== null) this.app.durationMs = Math.max(0, end - start);
    const stages = [...this.finishedStages];
    for (const state of this.stageStates.values()) if (!state.finalized) stages.push(state.finalize());
    stages.sort((a, b) => a.stageId - b.stageId || a.attempt - b.attempt);
    const busy = this.busyMs + (this.running.size > 0 && end !== null ? Math.max(0, end - this.busySince) : 0);
    if (this.sawTaskStart && this.app.durationMs !== null) this.totals.driverOnlyMs = Math.max(0, this.app.durationMs - busy);
    this.executorTime(end);
    return {
      app: { ...this.app, config: { ...this.app.config } },
      counts: { ...this.counts },
      totals: { ...this.totals },
      hasApplicationEnd: this.hasApplicationEnd,
      lastEvent: this.lastEvent,
      lastTime: this.lastTime,
      cutOffLastLine: this.cutOffLastLine,
      malformedLines: [...this.malformedLines],
      executorsRemoved: [...this.executorsRemoved],
      stages,
      jobs: [...this.jobs.values()],
      executors: [...this.executors.values()],
      failures: [...this.failures.values()]
        .sort((a, b) => b.count - a.count)
        .map(({ stageSet, executorSet, ...group }) => ({ ...group, stages: [...stageSet], executors: [...executorSet] })),
      gpuRequested: this.gpuRequested,
      gpuMetricsSeen: this.gpuMetricsSeen,
      stageResubmissions: this.stageResubmissions,
    };
  }

  private executorTime(end: number | null): void {
    let alive = 0;
    let idle = 0;
    for (const executor of this.executors.values()) {
      const from = executor.addedAt;
      const to = executor.removedAt ?? end;
      if (from === null || to === null || to <= from) continue;
      const capacity = (to - from) * Math.max(1, executor.cores ?? 1);
      alive += capacity;
      idle += Math.max(0, capacity - executor.busyMs);
    }
    this.totals.executorAliveMs = alive;
    this.totals.idleExecutorMs = idle;
  }
}

function clusterManager(master: string): AppSummary["clusterManager"] {
  if (master.startsWith("yarn")) return "yarn";
  if (master.startsWith("k8s://")) return "kubernetes";
  if (master.startsWith("spark://")) return "standalone";
  if (master.startsWith("local")) return "local";
  if (master.startsWith("mesos://")) return "mesos";
  return "unknown";
}
