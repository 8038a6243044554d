import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { fixturesDir } from "../../../test/helpers/fixtures.ts";
import { analyzePath } from "./ingest/event-log.files.ts";
import type { SparkAnalysis } from "./spark.types.ts";

/** FACTS.json: numbers counted independently from each real log (see MANIFEST.md beside it). */
interface Facts {
  sparkVersion: string | null;
  appId: string;
  appName: string;
  attempt: string | null;
  master: string | null;
  "spark.databricks.clusterUsageTags.sparkVersion": string | null;
  lines: number;
  malformed: number;
  jobsStarted: number;
  jobResults: Record<string, number>;
  stagesSubmitted: number;
  stagesCompleted: number;
  stagesFailed: number;
  taskEnds: number;
  taskReasons: Record<string, number>;
  execAdded: number;
  execRemoved: number;
  execRemovedReasons: [string, number][];
  bmRemoved: number;
  sqlExecs: number;
  hasAppEnd: boolean;
  lastEvent: string;
  memSpill: number;
  diskSpill: number;
  gcMs: number;
  runMs: number;
  gcPct: number;
  topSkewStage: { stage: number; attempt: number; tasks: number; medianMs: number; maxMs: number; ratio: number } | null;
}

const dir = fixturesDir("spark");
const facts = JSON.parse(readFileSync(`${dir}/FACTS.json`, "utf8")) as Record<string, Facts>;
const cache = new Map<string, Promise<SparkAnalysis>>();
const analysis = (name: string): Promise<SparkAnalysis> => {
  let found = cache.get(name);
  if (!found) {
    found = analyzePath(`${dir}/${name}`);
    cache.set(name, found);
  }
  return found;
};

describe("Spark event-log fixtures reproduce FACTS.json", () => {
  for (const [name, f] of Object.entries(facts)) {
    it(`${name}: application, counts, spill, GC and skew`, async () => {
      const a = await analysis(name);
      expect(a.app).toMatchObject({
        appId: f.appId,
        appName: f.appName,
        attempt: f.attempt,
        sparkVersion: f.sparkVersion,
        master: f.master,
        databricksRuntime: f["spark.databricks.clusterUsageTags.sparkVersion"],
      });
      expect(a.counts).toMatchObject({
        lines: f.lines,
        malformed: f.malformed,
        jobsStarted: f.jobsStarted,
        jobResults: f.jobResults,
        stagesSubmitted: f.stagesSubmitted,
        stagesCompleted: f.stagesCompleted,
        stagesFailed: f.stagesFailed,
        taskEnds: f.taskEnds,
        taskReasons: f.taskReasons,
        execAdded: f.execAdded,
        execRemoved: f.execRemoved,
        blockManagersRemoved: f.bmRemoved,
        sqlExecutions: f.sqlExecs,
      });
      expect(a.hasApplicationEnd).toBe(f.hasAppEnd);
      expect(a.lastEvent).toBe(f.lastEvent);
      expect(a.totals).toMatchObject({ memorySpill: f.memSpill, diskSpill: f.diskSpill, gcMs: f.gcMs, runMs: f.runMs });
      expect(Math.round((a.totals.gcMs / a.totals.runMs) * 1000) / 10).toBe(f.gcPct);
      for (const [prefix, count] of f.execRemovedReasons) {
        expect(a.executorsRemoved.filter((r) => r.reason.startsWith(prefix))).toHaveLength(count);
      }
      if (f.topSkewStage) {
        const s = a.stages.find((stage) => stage.stageId === f.topSkewStage?.stage && stage.attempt === f.topSkewStage.attempt);
        expect(s).toMatchObject({
          tasks: f.topSkewStage.tasks,
          durationP50: f.topSkewStage.medianMs,
          durationMax: f.topSkewStage.maxMs,
        });
      }
      // Every log without an ApplicationEnd is marked incomplete, with a finding; complete ones are not.
      expect(a.complete).toBe(f.hasAppEnd);
      expect(a.findings.some((finding) => finding.code === "incomplete_log")).toBe(!f.hasAppEnd);
    }, 120_000);
  }

  it("finds the GPU out-of-memory in gpu_oom_eventlog with the failing stage", async () => {
    const a = await analysis("gpu_oom_eventlog.zstd");
    const oom = a.findings.find((f) => f.code === "gpu_oom");
    expect(oom).toMatchObject({
      severity: "critical",
      evidence: { failingStage: 34, failedTasks: 112, exception: "com.nvidia.spark.rapids.jni.GpuSplitAndRetryOOM" },
    });
    expect(oom?.setting).toBe("spark.rapids.sql.concurrentGpuTasks");
    expect(a.findings[0]?.severity).toBe("critical");
    expect(a.findings.find((f) => f.code === "failed_jobs")?.evidence).toMatchObject({ failedJobs: 5, abortedStage: 34 });
    // The one TaskKilled is a kill, not a failure cause of its own.
    expect(a.findings.some((f) => f.code.startsWith("task_failures_"))).toBe(false);
  }, 120_000);

  it("groups the Spark 4 Python UDF failures by the user frame that raised them", async () => {
    const a = await analysis("local-1776286786993.zstd");
    const python = a.failures.filter((g) => g.exceptionClass?.startsWith("org.apache.spark.api.python.PythonException"));
    expect(python.reduce((sum, g) => sum + g.count, 0)).toBe(11);
    expect(python.map((g) => g.frame).sort()).toEqual([
      "generate_events.py:37 in flaky_partition",
      "generate_events.py:51 in fail_udf",
    ]);
    const findings = a.findings.filter((f) => f.code === "task_failures_python_udf");
    expect(findings.map((f) => f.evidence.stages)).toContain("5");
  }, 120_000);

  it("reads the Databricks Photon log: DBC metadata instead of LogStart, Photon tasks, a lost worker", async () => {
    const a = await analysis("nds_q88_photon_db_13_3.zstd");
    expect(a.app.databricksSparkVersion).toBe("3.4.1");
    expect(a.app.photon).toBe(true);
    expect(a.totals.photonTasks).toBeGreaterThan(0);
    expect(a.counts.unknownEvents).toBe(0);
    expect(a.findings.find((f) => f.code === "executor_loss")?.evidence).toMatchObject({ lost: 1 });
  }, 120_000);

  it("reads rolling directories part by part and takes the app status from appstatus_*", async () => {
    const local = await analysis("eventlog_v2_local-1623876083964");
    expect(local.source).toMatchObject({ codec: "zstd", parts: 2, appStatus: "finished" });
    const k8s = await analysis("eventlog_v2_spark-cc4d115f011443d787f03a71a476a745");
    expect(k8s.source).toMatchObject({ codec: "none", parts: 1, appStatus: "finished" });
    expect(k8s.app.clusterManager).toBe("kubernetes");
  }, 120_000);

  it("counts the malformed line with its line number and keeps going", async () => {
    const a = await analysis("malformed_json_eventlog.zstd");
    expect(a.malformedLines.map((m) => m.line)).toEqual([4]);
    expect(a.findings.find((f) => f.code === "malformed_lines")?.evidence.lines).toBe("4");
  }, 120_000);

  it("does not call dynamic-allocation scale-down (explicit termination) an executor loss", async () => {
    const a = await analysis("application_1472176676028_407508_1");
    expect(a.counts.execRemoved).toBe(57);
    expect(a.findings.some((f) => f.code === "executor_loss")).toBe(false);
  }, 120_000);

  it("flags the GC pressure of the truncated log (16.7 %) as a warning", async () => {
    const a = await analysis("truncated_eventlog");
    expect(a.findings.find((f) => f.code === "gc_pressure")).toMatchObject({
      severity: "warning",
      evidence: { gcPercent: 16.7 },
    });
  }, 120_000);

  it("reads the lz4 and snappy files Spark's codecs wrote identically to the plain original", async () => {
    const plain = await analysis("eventlog_minimal_events");
    for (const name of ["eventlog_minimal_events.lz4", "eventlog_minimal_events.snappy"]) {
      const a = await analysis(name);
      expect(a.source.decompressedBytes).toBe(plain.source.decompressedBytes);
      const { source: _a, ...rest } = a;
      const { source: _b, ...plainRest } = plain;
      expect(rest).toEqual(plainRest);
    }
  }, 120_000);
});
