import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { crc32, deflateRawSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../../../test/helpers/app.ts";
import { runCli } from "../../../test/helpers/cli.ts";
import { fixturesDir } from "../../../test/helpers/fixtures.ts";

const QUERY_CSV = `${fixturesDir("gpu")}/query.txt`;

describe("stagegate run create, logs tail, metrics push", () => {
  let t: TestApp;
  let server: string;
  const cli = (...args: string[]) => runCli(["--server", server, "--token", t.token, ...args]);

  beforeAll(async () => {
    t = await startTestApp("sqlite");
    await t.request({
      method: "PUT",
      url: "/api/v1/projects/ml/config",
      payload: 'environments:\n  - name: stg\n    executor: { type: shell, config: { command: ["true"] } }\n',
      headers: { "content-type": "application/yaml" },
    });
    server = await t.app.http.listen({ port: 0, host: "127.0.0.1" });
  });
  afterAll(() => t.close());

  it("creates a run, pushes nvidia-smi samples with its ingest token, and tails its merged log", async () => {
    const created = await cli("run", "create", "-p", "ml", "--name", "train", "--env", "stg", "--attr", "gpus=8", "-o", "json");
    expect(created.code, created.stderr).toBe(0);
    const run = JSON.parse(created.stdout) as { id: string; ingestToken: string; attributes: Record<string, string> };
    expect(run.attributes).toEqual({ gpus: "8" });

    const pushed = await runCli([
      "--server",
      server,
      "--token",
      run.ingestToken,
      "metrics",
      "push",
      run.id,
      "--format",
      "nvidia-smi",
      "--node",
      "w1",
      QUERY_CSV,
    ]);
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(pushed.stdout).toMatch(/^\d+ samples stored/);

    const at = (s: number) => new Date(Date.now() - 60_000 + s * 1000).toISOString();
    const lines = [
      { ts: at(2), node: "w2", level: "error", msg: "OOM on rank 2" },
      { ts: at(1), node: "w1", level: "info", msg: "started" },
    ];
    await t.request({
      method: "POST",
      url: `/api/v1/runs/${run.id}/logs`,
      payload: lines.map((l) => JSON.stringify(l)).join("\n"),
      headers: { authorization: `Bearer ${run.ingestToken}`, "content-type": "application/x-ndjson" },
    });
    const tail = await cli("logs", "tail", run.id);
    expect(tail.code, tail.stderr).toBe(0);
    expect(tail.stdout.trim().split("\n")).toHaveLength(2);
    expect(tail.stdout).toMatch(/started\n.*ERROR w2 OOM on rank 2\n$/);
    const errors = await cli("logs", "tail", run.id, "--level", "error", "-o", "json");
    expect(
      errors.stdout
        .trim()
        .split("\n")
        .map((l) => (JSON.parse(l) as { msg: string }).msg),
    ).toEqual(["OOM on rank 2"]);

    // --follow prints what arrives and returns when the run ends.
    const following = cli("logs", "tail", run.id, "--follow", "--grep", "later");
    await new Promise((resolve) => setTimeout(resolve, 300));
    await t.request({
      method: "POST",
      url: `/api/v1/runs/${run.id}/logs`,
      payload: JSON.stringify({ node: "w3", msg: "later record" }),
      headers: { authorization: `Bearer ${run.ingestToken}`, "content-type": "application/x-ndjson" },
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await t.request({ method: "POST", url: `/api/v1/runs/${run.id}/end`, payload: { status: "succeeded" } });
    const followed = await following;
    expect(followed.code, followed.stderr).toBe(0);
    expect(followed.stdout).toMatch(/w3 later record/);
  });

  it("imports a Databricks cluster log folder: log4j with stacks, rotated .gz, Python tracebacks, executor stderr", async () => {
    const run = JSON.parse((await cli("run", "create", "-p", "ml", "--name", "etl", "-o", "json")).stdout) as { id: string };
    const dir = clusterLogDir();
    const imported = await cli("run", "import-logs", run.id, dir);
    await expectImported(run.id, imported);
  });

  it("imports the same logs from a zip of the folder, and refuses a zip bomb before inflating it", async () => {
    const run = JSON.parse((await cli("run", "create", "-p", "ml", "--name", "etl-zip", "-o", "json")).stdout) as { id: string };
    const dir = clusterLogDir();
    const zip = join(dir, "..", `${basename(dir)}.zip`);
    // With the cluster's folder name on top, as Databricks' download has it, and a file that is no log.
    writeZip(zip, [
      ...["driver/log4j-active.log", "driver/log4j-old.log.gz", "driver/stdout", "executor/app-20260501-0001/3/stderr"].map(
        (name) => ({ name: `0501-abc/${name}`, data: readFileSync(join(dir, name)) }),
      ),
      { name: "0501-abc/eventlog/app.json", data: Buffer.from("{}") },
    ]);
    const imported = await cli("run", "import-logs", run.id, zip);
    await expectImported(run.id, imported);

    const bomb = join(dir, "..", `${basename(dir)}-bomb.zip`);
    writeZip(bomb, [{ name: "driver/stdout", data: Buffer.alloc(8 * 1024 * 1024, 0x61) }]);
    expect(statSync(bomb).size).toBeLessThan(64 * 1024);
    const refused = await cli("run", "import-logs", run.id, bomb);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/driver\/stdout: compressed \d+:1/);
    const notZip = join(dir, "driver/stdout");
    const wrong = await cli("run", "import-logs", run.id, notZip);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/not a readable zip archive/);
  });

  async function expectImported(runId: string, imported: { code: number; stdout: string; stderr: string }) {
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toMatch(/^6 records from 4 files imported/);
    const records = (await t.request({ method: "GET", url: `/api/v1/runs/${runId}/logs` })).json<{
      items: { node: string; level: string; msg: string; attributes: Record<string, string> }[];
    }>().items;
    // The server keeps a stack in the message, after its first line.
    expect(records.map((r) => [r.node, r.level, r.msg.split("\n")[0]])).toEqual(
      expect.arrayContaining([
        ["driver", "warn", "Service 'SparkUI' could not bind"],
        ["driver", "error", "Task 7 in stage 2.0 failed 4 times"],
        ["executor-3", "error", "Exception in task 7.3 in stage 2.0 (TID 42)"],
        ["driver", "error", 'ValueError: column "amount" is empty'],
      ]),
    );
    const failed = records.find((r) => r.msg.startsWith("Task 7"));
    expect(failed?.msg).toContain("\nCaused by: java.lang.OutOfMemoryError");
    expect(failed?.attributes.logger).toBe("TaskSetManager");
    expect(records.find((r) => r.msg.startsWith("ValueError"))?.msg).toContain('\n  File "/databricks/driver/job.py"');
    // log4j records in time order across the driver, its rotated file and the executor.
    const timed = records.filter((r) => r.attributes.logger).map((r) => r.msg.slice(0, 12));
    expect(timed).toEqual(["Service 'Spa", "Running Spar", "Exception in", "Task 7 in st"]);
  }

  it("imports the same folder twice without doubling a record, and sends only what a growing log added", async () => {
    const run = JSON.parse((await cli("run", "create", "-p", "ml", "--name", "etl-twice", "-o", "json")).stdout) as {
      id: string;
    };
    const dir = clusterLogDir();
    expect((await cli("run", "import-logs", run.id, dir)).code).toBe(0);
    const again = await cli("run", "import-logs", run.id, dir);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^0 records from 4 files imported, 6 already in the run skipped/);
    const log4j = join(dir, "driver/log4j-active.log");
    writeFileSync(log4j, `${readFileSync(log4j, "utf8")}${stampAgo(6)} INFO SparkContext: Successfully stopped SparkContext\n`);
    const grown = await cli("run", "import-logs", run.id, dir, "-o", "json");
    expect(JSON.parse(grown.stdout)).toMatchObject({ accepted: 1, skipped: 6 });
    const page = (await t.request({ method: "GET", url: `/api/v1/runs/${run.id}/logs` })).json<{ items: { msg: string }[] }>();
    expect(page.items).toHaveLength(7);
    expect((await cli("run", "import-logs", run.id, dir, "--force", "-o", "json")).stdout).toMatch(/"accepted": 7/);
  });

  it("names executors executor-<id> when the executor folder, or one application's folder, is imported on its own", async () => {
    const dir = clusterLogDir();
    for (const source of [join(dir, "executor"), join(dir, "executor/app-20260501-0001")]) {
      const run = JSON.parse((await cli("run", "create", "-p", "ml", "--name", "executors", "-o", "json")).stdout) as {
        id: string;
      };
      const imported = await cli("run", "import-logs", run.id, source);
      expect(imported.code, imported.stderr).toBe(0);
      const page = (await t.request({ method: "GET", url: `/api/v1/runs/${run.id}/logs` })).json<{ items: { node: string }[] }>();
      expect(page.items.map((r) => r.node)).toEqual(["executor-3"]);
    }
  });

  it("ends a run with its own ingest token, shows it, lists runs page by page, and summarises it", async () => {
    const created = await cli("run", "create", "-p", "ml", "--name", "report", "--env", "stg", "-o", "json");
    const run = JSON.parse(created.stdout) as { id: string; ingestToken: string };
    await t.request({
      method: "POST",
      url: `/api/v1/runs/${run.id}/logs`,
      payload: [
        JSON.stringify({ node: "w1", level: "info", msg: "started" }),
        JSON.stringify({
          node: "w2",
          level: "error",
          msg: "CUDA out of memory on rank 2",
          stack: "Traceback\n  File x.py\nRuntimeError",
        }),
      ].join("\n"),
      headers: { authorization: `Bearer ${run.ingestToken}`, "content-type": "application/x-ndjson" },
    });

    const badStatus = await runCli(["--server", server, "--token", run.ingestToken, "run", "end", run.id, "--status", "done"]);
    expect(badStatus.code).toBe(2);
    expect(badStatus.stderr).toMatch(/Allowed choices are succeeded, failed, unknown/);
    const ended = await runCli(["--server", server, "--token", run.ingestToken, "run", "end", run.id, "--status", "failed"]);
    expect(ended.code, ended.stderr).toBe(0);
    expect(ended.stdout).toMatch(new RegExp(`^run ${run.id} \\(report in stg\\): failed after `));
    const twice = await cli("run", "end", run.id, "--status", "succeeded");
    expect(twice.code).toBe(1);
    expect(twice.stderr).toMatch(/already ended \(failed\)/);

    const got = await cli("run", "get", run.id);
    expect(got.code, got.stderr).toBe(0);
    expect(got.stdout).toMatch(/Status:\s+failed/);
    expect(got.stdout).toMatch(/Environment:\s+stg/);
    expect(JSON.parse((await cli("run", "get", run.id, "-o", "json")).stdout)).toMatchObject({ id: run.id, status: "failed" });
    expect((await cli("run", "get", "run_missing")).code).toBe(3);

    const first = await cli("run", "list", "-p", "ml", "--limit", "1");
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(new RegExp(`^ID\\s+NAME.*\\n${run.id}\\s+report\\s+stg\\s+-\\s+failed`));
    const more = /--cursor (\S+)/.exec(first.stderr);
    expect(more, first.stderr).not.toBeNull();
    const second = await cli("run", "list", "-p", "ml", "--limit", "1", "--cursor", more?.[1] ?? "", "-o", "json");
    const page = JSON.parse(second.stdout) as { items: { id: string }[] };
    expect(page.items).toHaveLength(1);
    expect(page.items[0]?.id).not.toBe(run.id);
    const failed = JSON.parse((await cli("run", "list", "-p", "ml", "--status", "failed", "-o", "json")).stdout) as {
      items: { id: string }[];
    };
    expect(failed.items.map((r) => r.id)).toEqual([run.id]);
    expect((await cli("run", "list", "-p", "ml", "--status", "bogus")).code).toBe(2);

    const summary = await cli("run", "summary", run.id);
    expect(summary.code, summary.stderr).toBe(0);
    expect(summary.stdout).toMatch(/^run .*: failed after /);
    expect(summary.stdout).toMatch(/2 records from 2 nodes/);
    expect(summary.stdout).toMatch(/NODES\nNODE\s+RECORDS\s+ERRORS/);
    expect(summary.stdout).toMatch(/TOP ERRORS\n {2}1× on w2: CUDA out of memory on rank 2/);
    expect(summary.stdout).toMatch(/no alerts|ALERTS/);
    expect(summary.stdout).toMatch(/COMPARISON\nRUN\s+DURATION\s+ERRORS.*\nthis run\s+\S+\s+1\s/);
    const raw = JSON.parse((await cli("run", "summary", run.id, "-o", "json")).stdout) as {
      run: { id: string };
      topErrors: unknown[];
    };
    expect(raw.run.id).toBe(run.id);
    expect(raw.topErrors).toHaveLength(1);
  });

  it("exits 3 for an unknown run and 2 without a format", async () => {
    expect((await cli("logs", "tail", "run_nope")).code).toBe(3);
    expect((await cli("metrics", "push", "run_nope", QUERY_CSV)).code).toBe(2);
  });
});

/** A log4j stamp (`yy/MM/dd HH:mm:ss`, UTC) of a day ago plus `s` seconds. */
function stampAgo(s: number): string {
  const d = new Date(Date.now() - 86_400_000 + s * 1000);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${two(d.getUTCFullYear() % 100)}/${two(d.getUTCMonth() + 1)}/${two(d.getUTCDate())} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
}

/** A Databricks-like cluster log folder: driver log4j with a stack, a rotated .gz, a Python traceback, executor stderr. */
function clusterLogDir(): string {
  const day = new Date(Date.now() - 86_400_000);
  const stamp = (s: number) => {
    const d = new Date(day.getTime() + s * 1000);
    const two = (n: number) => String(n).padStart(2, "0");
    return `${two(d.getUTCFullYear() % 100)}/${two(d.getUTCMonth() + 1)}/${two(d.getUTCDate())} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
  };
  const dir = mkdtempSync(join(tmpdir(), "cluster-logs-"));
  mkdirSync(join(dir, "driver"));
  mkdirSync(join(dir, "executor/app-20260501-0001/3"), { recursive: true });
  writeFileSync(
    join(dir, "driver/log4j-active.log"),
    `${stamp(1)} INFO SparkContext: Running Spark version 3.5.0\n${stamp(5)} ERROR TaskSetManager: Task 7 in stage 2.0 failed 4 times\norg.apache.spark.SparkException: Job aborted\n\tat org.apache.spark.scheduler.DAGScheduler.failJobAndIndependentStages(DAGScheduler.scala:2790)\nCaused by: java.lang.OutOfMemoryError: Java heap space\n`,
  );
  writeFileSync(join(dir, "driver/log4j-old.log.gz"), gzipSync(`${stamp(0)} WARN Utils: Service 'SparkUI' could not bind\n`));
  writeFileSync(
    join(dir, "driver/stdout"),
    'loading data\nTraceback (most recent call last):\n  File "/databricks/driver/job.py", line 12, in <module>\n    run()\nValueError: column "amount" is empty\n',
  );
  writeFileSync(
    join(dir, "executor/app-20260501-0001/3/stderr"),
    `${stamp(4)} ERROR Executor: Exception in task 7.3 in stage 2.0 (TID 42)\n`,
  );
  return dir;
}

/** A minimal zip writer (deflate, no data descriptors), so the test builds its archive instead of committing one. */
function writeZip(path: string, entries: { name: string; data: Buffer }[]): void {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const { name, data } of entries) {
    const packed = deflateRawSync(data);
    const fileName = Buffer.from(name);
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(8, 8);
    local.writeUInt16LE(0x21, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(fileName.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(8, 10);
    central.writeUInt16LE(0x21, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(packed.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(fileName.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, fileName, packed);
    centrals.push(central, fileName);
    offset += local.length + fileName.length + packed.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  writeFileSync(path, Buffer.concat([...locals, directory, end]));
}
