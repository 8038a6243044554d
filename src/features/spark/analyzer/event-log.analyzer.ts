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
import { emptyApp, emptyCounts, emptyTotals } from "./event-log.models.ts";
import { IGNORED_EVENTS, MAX_EXECUTORS_KEPT, MAX_JOBS_KEPT, MAX_MALFORMED_KEPT, readEnvironment } from "./event-log.tables.ts";
import { FailureGroups } from "./failure-groups.ts";
import { arr, bump, isJson, type Json, num, numOrNull, obj, str } from "./json.ts";
import { StageBook } from "./stage-book.ts";
import type { TaskNumbers } from "./stage-state.ts";

/** Lines longer than this are refused as malformed instead of parsed (a runaway line would eat memory). */
export const MAX_LINE_CHARS = 64 * 1024 * 1024;

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
  private readonly counts: SparkCounts = emptyCounts();
  private readonly totals: SparkTotals = emptyTotals();
  private readonly app: AppSummary = emptyApp();
  private hasApplicationEnd = false;
  private lastEvent: string | null = null;
  private lastTime: number | null = null;
  private readonly malformedLines: MalformedLine[] = [];
  private readonly executorsRemoved: { id: string; reason: string; at: number | null }[] = [];
  private readonly stages = new StageBook();
  private readonly jobs = new Map<number, JobSummary>();
  private readonly executors = new Map<string, ExecutorSummary>();
  private readonly failures = new FailureGroups();
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
    const facts = readEnvironment(this.app, e);
    if (facts.scanAccumulables) this.scanAccumulables = true;
    if (facts.gpuRequested) this.gpuRequested = true;
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

  private stageSubmitted(e: Json): void {
    this.counts.stagesSubmitted++;
    const info = obj(e, "Stage Info");
    const state = this.stages.of(info);
    state.summary.name = (str(info, "Stage Name") ?? "").slice(0, 200);
    state.summary.numTasks = num(info, "Number of Tasks");
    state.summary.submittedAt = numOrNull(info, "Submission Time");
    this.seen(state.summary.submittedAt);
    this.stages.submitted(state.summary.stageId);
  }

  private stageCompleted(e: Json): void {
    const info = obj(e, "Stage Info");
    const failure = str(info, "Failure Reason");
    if (failure !== null) this.counts.stagesFailed++;
    else this.counts.stagesCompleted++;
    const state = this.stages.of(info);
    const s = state.summary;
    if (!s.name) s.name = (str(info, "Stage Name") ?? "").slice(0, 200);
    if (!s.numTasks) s.numTasks = num(info, "Number of Tasks");
    s.submittedAt ??= numOrNull(info, "Submission Time");
    s.completedAt = numOrNull(info, "Completion Time");
    s.failureReason = failure === null ? null : failure.slice(0, 1000);
    this.seen(s.completedAt);
    this.stages.completed(state);
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
    const stage = this.stages.of({ "Stage ID": e["Stage ID"], "Stage Attempt ID": e["Stage Attempt ID"] });
    stage.addTask(task);
    if (executorId !== null) {
      const executor = this.executors.get(executorId);
      if (executor) {
        executor.tasks++;
        if (task.durationMs !== null) executor.busyMs += task.durationMs;
      }
    }
    if (this.scanAccumulables) this.accumulables(info);
    if (task.failed && reasonObj) this.failures.add(reasonObj, reason, stage.summary.stageId, executorId);
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

  /** Everything read so far as a model; the analyzer can keep going afterwards (rolling parts). */
  finish(): RawAnalysis {
    const end = this.app.endTime ?? this.lastTime;
    const start = this.app.startTime;
    if (start !== null && end !== null) this.app.durationMs = Math.max(0, end - start);
    const stages = this.stages.summaries();
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
      failures: this.failures.list(),
      gpuRequested: this.gpuRequested,
      gpuMetricsSeen: this.gpuMetricsSeen,
      stageResubmissions: this.stages.resubmissions,
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
