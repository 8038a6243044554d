import { describe, expect, it } from "vitest";
import { nodeOfPath, parseSparkLog } from "./run-logs.parser.ts";

/** What a Databricks driver's `stderr` holds: log4j console output, then a job's Python logging with tracebacks. */
const DRIVER_STDERR = `24/05/01 12:00:01 INFO DriverDaemon: Started Log4j2
24/05/01 12:00:02 WARN SparkConf: The configuration key 'spark.executor.memoryOverhead' has been deprecated
24/05/01 12:00:05 INFO SparkContext: Running Spark version 3.5.0
2024-05-01 12:00:07,431 - etl.load - ERROR - could not read s3://bucket/part-00007.parquet
Traceback (most recent call last):
  File "/databricks/driver/etl/load.py", line 41, in read_part
    return spark.read.parquet(path)
  File "/databricks/spark/python/pyspark/sql/readwriter.py", line 544, in parquet
    return self._df(self._jreader.parquet(_to_seq(self._spark._sc, paths)))
pyspark.errors.exceptions.captured.AnalysisException: [PATH_NOT_FOUND] Path does not exist: s3://bucket/part-00007.parquet.
24/05/01 12:00:08 ERROR Executor: Exception in task 7.0 in stage 2.0 (TID 42)
org.apache.spark.SparkException: Task failed while writing rows.
\tat org.apache.spark.sql.errors.QueryExecutionErrors$.taskFailedWhileWritingRowsError(QueryExecutionErrors.scala:789)
Caused by: java.lang.OutOfMemoryError: Java heap space
\t... 12 more
ERROR:etl.retry:giving up after 3 attempts
Traceback (most recent call last):
  File "/databricks/driver/etl/retry.py", line 12, in call
    return fn()
ConnectionResetError: [Errno 104] Connection reset by peer

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "/databricks/driver/etl/retry.py", line 15, in call
    raise RetryError("giving up")
etl.retry.RetryError: giving up
24/05/01 12:00:09 INFO SparkContext: Invoking stop() from shutdown hook
`;

/** The driver's `stdout`: the Python shell's own dated lines, prints, a JVM GC line, an uncaught traceback. */
const DRIVER_STDOUT = `loading config from /dbfs/etl/config.yaml
Wed May  1 12:00:03 2024 Connection to spark from PID  1823
Wed May  1 12:00:03 2024 Initialized gateway on port 36157
rows read: 1200000
2024-05-01T12:00:06.118+0000: [GC (Allocation Failure) [PSYoungGen: 524800K->37432K(611840K)] 524800K->37512K(2010112K), 0.0426 secs]
epoch 1 loss=0.4121
Traceback (most recent call last):
  File "/databricks/driver/train.py", line 88, in <module>
    model.fit(df)
py4j.protocol.Py4JJavaError: An error occurred while calling o412.fit.
: org.apache.spark.SparkException: Job aborted due to stage failure
\tat org.apache.spark.scheduler.DAGScheduler.failJobAndIndependentStages(DAGScheduler.scala:2790)
done
`;

describe("parseSparkLog", () => {
  const driverStderr = parseSparkLog(DRIVER_STDERR, { file: "driver/stderr", node: "driver" });

  it("joins a Python traceback after a dated logger line to that record as its stack, at that record's time", () => {
    const load = driverStderr.find((r) => r.logger === "etl.load");
    expect(load).toMatchObject({
      ts: "2024-05-01T12:00:07.431Z",
      level: "error",
      msg: "could not read s3://bucket/part-00007.parquet",
    });
    expect(load?.stack).toMatch(/^Traceback \(most recent call last\):\n {2}File "\/databricks\/driver\/etl\/load.py"/);
    expect(load?.stack).toMatch(/AnalysisException: \[PATH_NOT_FOUND\].*$/);
    expect(driverStderr.filter((r) => r.msg.includes("AnalysisException"))).toEqual([]);
  });

  it("keeps Java stacks joined, and chained Python tracebacks as one record of an undated logging line", () => {
    expect(driverStderr.map((r) => [r.level, r.logger ?? null, r.msg.slice(0, 30)])).toEqual([
      ["info", "DriverDaemon", "Started Log4j2"],
      ["warn", "SparkConf", "The configuration key 'spark.e"],
      ["info", "SparkContext", "Running Spark version 3.5.0"],
      ["error", "etl.load", "could not read s3://bucket/par"],
      ["error", "Executor", "Exception in task 7.0 in stage"],
      ["error", "etl.retry", "giving up after 3 attempts"],
      ["info", "SparkContext", "Invoking stop() from shutdown "],
    ]);
    expect(driverStderr[4]?.stack).toContain("Caused by: java.lang.OutOfMemoryError: Java heap space");
    const retry = driverStderr[5];
    expect(retry?.stack).toContain("ConnectionResetError: [Errno 104]");
    expect(retry?.stack).toContain("During handling of the above exception, another exception occurred:");
    expect(retry?.stack).toMatch(/etl\.retry\.RetryError: giving up$/);
    // Undated: the time of the dated record before it.
    expect(retry?.ts).toBe("2024-05-01T12:00:08.000Z");
  });

  it("stamps undated stdout lines with the nearest dated line before them (the first one for the top), in file order", () => {
    const records = parseSparkLog(DRIVER_STDOUT, {
      file: "driver/stdout",
      node: "driver",
      mtime: new Date("2024-05-01T13:00:00Z"),
    });
    expect(records.map((r) => [r.ts, r.level, r.msg.slice(0, 28)])).toEqual([
      ["2024-05-01T12:00:03.000Z", "info", "loading config from /dbfs/et"],
      ["2024-05-01T12:00:03.000Z", "info", "Connection to spark from PID"],
      ["2024-05-01T12:00:03.000Z", "info", "Initialized gateway on port "],
      ["2024-05-01T12:00:03.000Z", "info", "rows read: 1200000"],
      ["2024-05-01T12:00:06.118Z", "info", "[GC (Allocation Failure) [PS"],
      ["2024-05-01T12:00:06.118Z", "info", "epoch 1 loss=0.4121"],
      ["2024-05-01T12:00:06.118Z", "error", "py4j.protocol.Py4JJavaError:"],
      ["2024-05-01T12:00:06.118Z", "info", "done"],
    ]);
    // An uncaught traceback after a print is its own error record; Py4J's Java stack stays with it.
    expect(records[6]?.stack).toContain('File "/databricks/driver/train.py", line 88');
    expect(records[6]?.stack).toContain(": org.apache.spark.SparkException: Job aborted due to stage failure");
    expect(records[6]?.stack).toContain("\tat org.apache.spark.scheduler.DAGScheduler");
  });

  it("gives a file without any dated line its modification time, never the import time", () => {
    const records = parseSparkLog("step 1\nstep 2\n", {
      file: "driver/stdout",
      node: "driver",
      mtime: new Date("2024-05-01T13:00:00Z"),
    });
    expect(records.map((r) => [r.ts, r.msg])).toEqual([
      ["2024-05-01T13:00:00.000Z", "step 1"],
      ["2024-05-01T13:00:00.000Z", "step 2"],
    ]);
  });

  it("gives every record a stable id: equal across folder, zip and rotated copies, distinct for repeated lines", () => {
    const line = "24/05/01 12:00:05 INFO BlockManager: Removed broadcast_3_piece0\n";
    const active = parseSparkLog(line + line, { file: "driver/log4j-active.log", node: "driver" });
    const zipped = parseSparkLog(line + line, { file: "0501-abc/driver/log4j-2024-05-01-12.log.gz", node: "driver" });
    const uids = active.map((r) => r["log.record.uid"]);
    expect(new Set(uids).size).toBe(2);
    expect(zipped.map((r) => r["log.record.uid"])).toEqual(uids);
    const otherNode = parseSparkLog(line, { file: "executor/app-1/3/stderr", node: "executor-3" });
    expect(uids).not.toContain(otherNode[0]?.["log.record.uid"]);
    expect(parseSparkLog(DRIVER_STDERR, { file: "driver/stderr", node: "driver" })).toEqual(driverStderr);
  });
});

describe("nodeOfPath", () => {
  it.each([
    ["driver/log4j-active.log", "driver"],
    ["0501-abc/driver/stdout", "driver"],
    ["executor/app-20240501120000-0001/3/stderr", "executor-3"],
    // The executor folder, or one application's folder in it, imported on its own.
    ["logs/executor/app-20240501120000-0001/3/stderr", "executor-3"],
    ["app-20240501120000-0001/7/stderr", "executor-7"],
    ["executor/app-20240501120000-0001/7/stderr".split("/").slice(1).join("/"), "executor-7"],
    ["7/stderr", "executor-7"],
    ["gpu-worker-2/stderr", "gpu-worker-2"],
    ["executor/logs/driver/stdout", "driver"],
    ["stdout", "default"],
  ])("%s → %s", (path, node) => {
    expect(nodeOfPath(path)).toBe(node);
  });
});
