import type { AppSummary, SparkCounts, SparkTotals } from "../spark.types.ts";

/** The analyzer's running tallies before the first line. */
export function emptyCounts(): SparkCounts {
  return {
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
}

export function emptyTotals(): SparkTotals {
  return {
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
}

export function emptyApp(): AppSummary {
  return {
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
}
