/** Builds small Spark event logs (Spark 3.x field names) for tests of the diagnoses' thresholds. */
export interface TaskSpec {
  stage: number;
  attempt?: number;
  durationMs: number;
  launch?: number;
  executor?: string;
  runMs?: number;
  gcMs?: number;
  shuffleReadBytes?: number;
  memorySpill?: number;
  diskSpill?: number;
  reason?: Record<string, unknown>;
}

export class SyntheticLog {
  private readonly lines: string[] = [];
  private taskId = 0;
  private readonly t0 = 1_700_000_000_000;

  constructor(options: { master?: string; config?: Record<string, string>; start?: boolean } = {}) {
    this.event({ Event: "SparkListenerLogStart", "Spark Version": "3.5.1" });
    if (options.start !== false) {
      this.event({
        Event: "SparkListenerApplicationStart",
        "App Name": "synthetic",
        "App ID": "app-1",
        Timestamp: this.t0,
        User: "me",
      });
    }
    this.event({
      Event: "SparkListenerEnvironmentUpdate",
      "Spark Properties": { "spark.master": options.master ?? "yarn", ...options.config },
    });
  }

  event(event: Record<string, unknown>): this {
    this.lines.push(JSON.stringify(event));
    return this;
  }

  raw(line: string): this {
    this.lines.push(line);
    return this;
  }

  executor(id: string, at = 0, cores = 4, gpus = 0): this {
    return this.event({
      Event: "SparkListenerExecutorAdded",
      Timestamp: this.t0 + at,
      "Executor ID": id,
      "Executor Info": {
        Host: `host-${id}`,
        "Total Cores": cores,
        Resources: gpus > 0 ? { gpu: { name: "gpu", addresses: Array.from({ length: gpus }, (_, i) => String(i)) } } : {},
      },
    });
  }

  removeExecutor(id: string, reason: string, at = 1000): this {
    return this.event({
      Event: "SparkListenerExecutorRemoved",
      Timestamp: this.t0 + at,
      "Executor ID": id,
      "Removed Reason": reason,
    });
  }

  stage(
    stage: number,
    attempt = 0,
    options: { failure?: string; submitted?: number; completed?: number; name?: string } = {},
  ): this {
    const info = {
      "Stage ID": stage,
      "Stage Attempt ID": attempt,
      "Stage Name": options.name ?? `stage ${stage}`,
      "Number of Tasks": 1,
    };
    this.event({
      Event: "SparkListenerStageSubmitted",
      "Stage Info": { ...info, "Submission Time": this.t0 + (options.submitted ?? 0) },
    });
    return this;
  }

  completeStage(
    stage: number,
    attempt = 0,
    options: { failure?: string; submitted?: number; completed?: number; name?: string } = {},
  ): this {
    return this.event({
      Event: "SparkListenerStageCompleted",
      "Stage Info": {
        "Stage ID": stage,
        "Stage Attempt ID": attempt,
        "Stage Name": options.name ?? `stage ${stage}`,
        "Number of Tasks": 1,
        "Submission Time": this.t0 + (options.submitted ?? 0),
        "Completion Time": this.t0 + (options.completed ?? 1000),
        ...(options.failure ? { "Failure Reason": options.failure } : {}),
      },
    });
  }

  task(spec: TaskSpec): this {
    const id = this.taskId++;
    const launch = this.t0 + (spec.launch ?? 0);
    const info = { "Task ID": id, Index: id, Attempt: 0, "Launch Time": launch, "Executor ID": spec.executor ?? "1", Host: "h" };
    this.event({
      Event: "SparkListenerTaskStart",
      "Stage ID": spec.stage,
      "Stage Attempt ID": spec.attempt ?? 0,
      "Task Info": info,
    });
    return this.event({
      Event: "SparkListenerTaskEnd",
      "Stage ID": spec.stage,
      "Stage Attempt ID": spec.attempt ?? 0,
      "Task Type": "ResultTask",
      "Task End Reason": spec.reason ?? { Reason: "Success" },
      "Task Info": { ...info, "Finish Time": launch + spec.durationMs, Failed: spec.reason !== undefined, Accumulables: [] },
      "Task Metrics": {
        "Executor Run Time": spec.runMs ?? spec.durationMs,
        "JVM GC Time": spec.gcMs ?? 0,
        "Memory Bytes Spilled": spec.memorySpill ?? 0,
        "Disk Bytes Spilled": spec.diskSpill ?? 0,
        "Shuffle Read Metrics": { "Remote Bytes Read": spec.shuffleReadBytes ?? 0, "Local Bytes Read": 0 },
        "Shuffle Write Metrics": { "Shuffle Bytes Written": 0 },
        "Input Metrics": { "Bytes Read": 0 },
        "Output Metrics": { "Bytes Written": 0 },
      },
    });
  }

  end(at: number): this {
    return this.event({ Event: "SparkListenerApplicationEnd", Timestamp: this.t0 + at });
  }

  text(): string {
    return `${this.lines.join("\n")}\n`;
  }

  bytes(): Uint8Array {
    return new TextEncoder().encode(this.text());
  }
}

export async function* oneChunk(data: Uint8Array | string): AsyncGenerator<Uint8Array> {
  yield typeof data === "string" ? new TextEncoder().encode(data) : data;
}
