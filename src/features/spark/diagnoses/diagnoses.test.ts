import { describe, expect, it } from "vitest";
import { SparkIngest } from "../ingest/spark-ingest.ts";
import type { SparkAnalysis } from "../spark.types.ts";
import { oneChunk, SyntheticLog } from "../testing/synthetic-log.ts";
import { compareAnalyses } from "./compare.ts";

async function analyze(log: SyntheticLog | string): Promise<SparkAnalysis> {
  const ingest = new SparkIngest();
  await ingest.addPart(oneChunk(typeof log === "string" ? log : log.text()), "log");
  return ingest.finish();
}

const codes = (a: SparkAnalysis): string[] => a.findings.map((f) => f.code);

/** A stage with `n` tasks of `median` ms and one of `max` ms. */
function stageWith(median: number, max: number, n = 9): SyntheticLog {
  const log = new SyntheticLog().executor("1").stage(0);
  for (let i = 0; i < n; i++) log.task({ stage: 0, durationMs: median });
  log.task({ stage: 0, durationMs: max, executor: "1" });
  return log.completeStage(0, 0, { completed: max }).end(max + 10);
}

describe("stragglers", () => {
  it("flags a stage whose slowest task is ≥ 5× the median and ≥ 10 s", async () => {
    const a = await analyze(stageWith(2000, 10_000));
    const finding = a.findings.find((f) => f.code === "stragglers");
    expect(finding).toMatchObject({
      severity: "warning",
      evidence: { stage: 0, medianMs: 2000, maxMs: 10_000, ratio: 5 },
      setting: "spark.sql.adaptive.skewJoin.enabled",
    });
  });

  it("does not flag 4.9× or a slowest task under 10 s", async () => {
    expect(codes(await analyze(stageWith(2050, 10_045)))).not.toContain("stragglers");
    expect(codes(await analyze(stageWith(1000, 9_999)))).not.toContain("stragglers");
  });

  it("flags shuffle-read skew by bytes", async () => {
    const log = new SyntheticLog().executor("1").stage(3);
    for (let i = 0; i < 9; i++) log.task({ stage: 3, durationMs: 100, shuffleReadBytes: 1024 * 1024 });
    log.task({ stage: 3, durationMs: 100, shuffleReadBytes: 512 * 1024 * 1024 });
    const a = await analyze(log.completeStage(3).end(2000));
    expect(a.findings.find((f) => f.code === "shuffle_skew")?.evidence).toMatchObject({
      stage: 3,
      maxReadBytes: 512 * 1024 * 1024,
    });
  });
});

describe("GC pressure", () => {
  const withGc = (gcMs: number): SyntheticLog =>
    new SyntheticLog()
      .executor("1")
      .stage(0)
      .task({ stage: 0, durationMs: 10_000, runMs: 10_000, gcMs })
      .completeStage(0)
      .end(20_000);

  it("is a warning above 10 % and critical above 20 %", async () => {
    expect((await analyze(withGc(1000))).findings.some((f) => f.code === "gc_pressure")).toBe(false);
    expect((await analyze(withGc(1500))).findings.find((f) => f.code === "gc_pressure")?.severity).toBe("warning");
    expect((await analyze(withGc(2500))).findings.find((f) => f.code === "gc_pressure")?.severity).toBe("critical");
  });
});

describe("executor loss", () => {
  it("does not count dynamic allocation's 'killed by driver' as a loss", async () => {
    const log = new SyntheticLog({ config: { "spark.dynamicAllocation.enabled": "true" } })
      .executor("1")
      .executor("2")
      .removeExecutor("2", "Executor killed by driver.")
      .end(5000);
    const a = await analyze(log);
    expect(a.counts.execRemoved).toBe(1);
    expect(codes(a)).not.toContain("executor_loss");
  });

  it("counts a YARN memory kill as a critical loss, pointing at memoryOverhead", async () => {
    const log = new SyntheticLog()
      .executor("1")
      .executor("2")
      .removeExecutor(
        "2",
        "Container killed by YARN for exceeding physical memory limits. 12.1 GB of 12 GB physical memory used.",
      )
      .end(5000);
    const finding = (await analyze(log)).findings.find((f) => f.code === "executor_loss");
    expect(finding).toMatchObject({
      severity: "critical",
      evidence: { lost: 1, executors: "2", memoryKill: true },
      setting: "spark.executor.memoryOverhead",
    });
  });
});

describe("fetch failures and stage resubmission", () => {
  it("reports fetch failures with the stage re-run", async () => {
    const log = new SyntheticLog()
      .executor("1")
      .stage(1)
      .task({
        stage: 1,
        durationMs: 100,
        reason: {
          Reason: "FetchFailed",
          "Block Manager Address": { "Executor ID": "7", Host: "h7", Port: 1 },
          "Shuffle ID": 0,
          "Map ID": 3,
          "Reduce ID": 0,
          Message: "org.apache.spark.shuffle.FetchFailedException: Failed to connect to h7",
        },
      })
      .completeStage(1, 0, { failure: "org.apache.spark.shuffle.FetchFailedException" })
      .stage(0, 1)
      .task({ stage: 0, attempt: 1, durationMs: 100 })
      .completeStage(0, 1)
      .stage(1, 1)
      .task({ stage: 1, attempt: 1, durationMs: 100 })
      .completeStage(1, 1)
      .end(5000);
    const a = await analyze(log);
    expect(a.findings.find((f) => f.code === "fetch_failures")).toMatchObject({
      severity: "critical",
      evidence: { fetchFailedTasks: 1, stageResubmissions: 1, executors: "7" },
    });
  });
});

describe("task failures by root cause", () => {
  const oom = {
    Reason: "ExceptionFailure",
    "Class Name": "java.lang.OutOfMemoryError",
    Description: "Java heap space",
    "Stack Trace": [
      { "Declaring Class": "java.util.Arrays", "Method Name": "copyOf", "File Name": "Arrays.java", "Line Number": 1 },
      { "Declaring Class": "com.acme.Featurize", "Method Name": "apply", "File Name": "Featurize.scala", "Line Number": 42 },
    ],
  };

  it("groups failures by exception class and first meaningful frame", async () => {
    const log = new SyntheticLog().executor("1").stage(0);
    for (let i = 0; i < 4; i++) log.task({ stage: 0, durationMs: 100, reason: oom });
    log.task({
      stage: 0,
      durationMs: 100,
      reason: { ...oom, "Class Name": "java.lang.IllegalStateException", Description: "boom" },
    });
    const a = await analyze(log.completeStage(0).end(5000));
    expect(a.failures[0]).toMatchObject({
      exceptionClass: "java.lang.OutOfMemoryError",
      frame: "com.acme.Featurize.apply",
      count: 4,
    });
    expect(a.findings.find((f) => f.code === "task_failures_jvm_oom")).toMatchObject({
      severity: "critical",
      setting: "spark.executor.memory",
    });
    expect(a.findings.find((f) => f.code === "task_failures_exception")?.evidence).toMatchObject({ count: 1 });
  });

  it("recognises executors lost to YARN memory kills inside task failures", async () => {
    const log = new SyntheticLog()
      .executor("1")
      .stage(0)
      .task({
        stage: 0,
        durationMs: 100,
        reason: {
          Reason: "ExecutorLostFailure",
          "Executor ID": "1",
          "Exit Caused By App": true,
          "Loss Reason": "Container killed by YARN for exceeding memory limits. 5 GB of 5 GB physical memory used.",
        },
      })
      .completeStage(0)
      .end(5000);
    expect(codes(await analyze(log))).toContain("task_failures_yarn_memory_kill");
  });
});

describe("GPU", () => {
  it("flags GPUs requested when nothing used them", async () => {
    const log = new SyntheticLog({ config: { "spark.executor.resource.gpu.amount": "1" } })
      .executor("1", 0, 4, 1)
      .stage(0)
      .task({ stage: 0, durationMs: 10 })
      .completeStage(0)
      .end(100);
    expect((await analyze(log)).findings.find((f) => f.code === "gpu_unused")?.setting).toBe("spark.plugins");
  });

  it("does not flag GPUs when the RAPIDS plugin is on", async () => {
    const log = new SyntheticLog({
      config: { "spark.executor.resource.gpu.amount": "1", "spark.plugins": "com.nvidia.spark.SQLPlugin" },
    })
      .executor("1", 0, 4, 1)
      .end(100);
    expect(codes(await analyze(log))).not.toContain("gpu_unused");
  });
});

describe("time use", () => {
  it("reports driver-bound wall time when no task runs for most of the app", async () => {
    const log = new SyntheticLog()
      .executor("1")
      .stage(0)
      .task({ stage: 0, durationMs: 10_000, launch: 0 })
      .completeStage(0)
      .end(200_000);
    const a = await analyze(log);
    expect(a.totals.driverOnlyMs).toBe(190_000);
    expect(a.findings.find((f) => f.code === "driver_bound")?.evidence).toMatchObject({ driverOnlyMs: 190_000, percent: 95 });
    expect(a.findings.find((f) => f.code === "idle_executors")?.setting).toBe("spark.dynamicAllocation.enabled");
  });
});

describe("log health", () => {
  it("counts unknown events and skips them", async () => {
    const log = new SyntheticLog()
      .event({ Event: "com.vendor.SomethingNew", x: 1 })
      .event({ Event: "com.vendor.SomethingNew" })
      .end(10);
    const a = await analyze(log);
    expect(a.counts.unknownEvents).toBe(2);
    expect(a.counts.unknownEventTypes).toEqual({ "com.vendor.SomethingNew": 2 });
  });

  it("marks a log whose last line is cut off mid-event as incomplete, with the line counted malformed", async () => {
    const text = new SyntheticLog().executor("1").text();
    const a = await analyze(`${text}{"Event":"SparkListenerTaskEnd","Stage ID":0,"Task`);
    expect(a.complete).toBe(false);
    expect(a.malformedLines).toEqual([{ line: 5, error: expect.any(String) }]);
    expect(a.incompleteReasons.join(" ")).toMatch(/cut off/);
  });

  it("reads CRLF line ends", async () => {
    const a = await analyze(new SyntheticLog().executor("1").end(10).text().replace(/\n/g, "\r\n"));
    expect(a.counts).toMatchObject({ malformed: 0, execAdded: 1 });
    expect(a.complete).toBe(true);
  });

  it("refuses a JSON file that is not made of Spark events (422)", async () => {
    await expect(analyze('{"name":"package.json"}\n')).rejects.toMatchObject({ code: "invalid_report" });
  });

  it("keeps an app name with markup verbatim (escaping is the UI's job)", async () => {
    const log = new SyntheticLog({ start: false }).event({
      Event: "SparkListenerApplicationStart",
      "App Name": "<script>alert(1)</script>",
      Timestamp: 1,
    });
    expect((await analyze(log)).app.appName).toBe("<script>alert(1)</script>");
  });
});

describe("comparison", () => {
  it("reports the duration change, slower stages and new findings", async () => {
    const base = await analyze(
      new SyntheticLog()
        .executor("1")
        .stage(0, 0, { name: "save at Job.scala:42" })
        .task({ stage: 0, durationMs: 1000 })
        .completeStage(0, 0, { name: "save at Job.scala:42", completed: 10_000 })
        .end(20_000),
    );
    const current = await analyze(stageWith(2000, 30_000).text().replaceAll('"stage 0"', '"save at Job.scala:42"'));
    const diff = compareAnalyses(base, current);
    expect(diff.durationMs).toMatchObject({ base: 20_000, current: 30_010, deltaMs: 10_010 });
    expect(diff.slowerStages).toEqual([
      { stageName: "save at Job.scala:42", occurrence: 1, baseMs: 10_000, currentMs: 30_000, ratio: 3 },
    ]);
    expect(diff.newFindings.map((f) => f.code)).toContain("stragglers");
    expect(diff.resolvedFindings.map((f) => f.code)).not.toContain("stragglers");
  });
});
