import type { StageSummary } from "../spark.types.ts";
import { BoundedSample } from "./sample.ts";

/** Per-task numbers a stage aggregates; read once from a TaskEnd. */
export interface TaskNumbers {
  durationMs: number | null;
  executorId: string | null;
  failed: boolean;
  killed: boolean;
  runMs: number;
  gcMs: number;
  inputBytes: number;
  outputBytes: number;
  shuffleReadBytes: number;
  shuffleWriteBytes: number;
  memorySpill: number;
  diskSpill: number;
}

/** Samples kept per stage attempt while it runs; dropped when it completes (only the summary stays). */
const SAMPLE_CAP = 4096;

export class StageState {
  readonly summary: StageSummary;
  private durations: BoundedSample | null = new BoundedSample(SAMPLE_CAP);
  private shuffleReads: BoundedSample | null = new BoundedSample(SAMPLE_CAP);
  private slowest = Number.NEGATIVE_INFINITY;

  constructor(stageId: number, attempt: number) {
    this.summary = {
      stageId,
      attempt,
      name: "",
      numTasks: 0,
      submittedAt: null,
      completedAt: null,
      failureReason: null,
      tasks: 0,
      failedTasks: 0,
      killedTasks: 0,
      durationP50: null,
      durationP95: null,
      durationMax: null,
      sampled: false,
      runMs: 0,
      gcMs: 0,
      inputBytes: 0,
      outputBytes: 0,
      shuffleReadBytes: 0,
      shuffleWriteBytes: 0,
      shuffleReadMax: 0,
      shuffleReadP50: null,
      memorySpill: 0,
      diskSpill: 0,
      slowestExecutor: null,
    };
  }

  get finalized(): boolean {
    return this.durations === null;
  }

  addTask(task: TaskNumbers): void {
    const s = this.summary;
    s.tasks++;
    if (task.killed) s.killedTasks++;
    else if (task.failed) s.failedTasks++;
    s.runMs += task.runMs;
    s.gcMs += task.gcMs;
    s.inputBytes += task.inputBytes;
    s.outputBytes += task.outputBytes;
    s.shuffleReadBytes += task.shuffleReadBytes;
    s.shuffleWriteBytes += task.shuffleWriteBytes;
    s.memorySpill += task.memorySpill;
    s.diskSpill += task.diskSpill;
    if (task.shuffleReadBytes > s.shuffleReadMax) s.shuffleReadMax = task.shuffleReadBytes;
    if (task.durationMs !== null) {
      if (task.durationMs > this.slowest) {
        this.slowest = task.durationMs;
        s.slowestExecutor = task.executorId;
      }
      if (this.durations) this.durations.add(task.durationMs);
      else if (s.durationMax === null || task.durationMs > s.durationMax) s.durationMax = task.durationMs;
    }
    this.shuffleReads?.add(task.shuffleReadBytes);
  }

  /** Fixes the quantiles and frees the samples; tasks that end later (speculative, killed) still update the counters. */
  finalize(): StageSummary {
    const durations = this.durations;
    const reads = this.shuffleReads;
    if (!durations || !reads) return this.summary;
    const s = this.summary;
    s.durationP50 = durations.median();
    s.durationP95 = durations.quantile(0.95);
    s.durationMax = durations.count > 0 ? durations.max : null;
    s.sampled = durations.sampled;
    s.shuffleReadP50 = reads.count > 0 ? reads.median() : null;
    this.durations = null;
    this.shuffleReads = null;
    return s;
  }
}
