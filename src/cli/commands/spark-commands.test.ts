import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../../../test/helpers/app.ts";
import { runCli } from "../../../test/helpers/cli.ts";
import { fixturesDir } from "../../../test/helpers/fixtures.ts";

const dir = fixturesDir("spark");

describe("stagegate spark upload", () => {
  let t: TestApp;
  let server: string;
  let runId: string;
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
    const created = await t.request({
      method: "POST",
      url: "/api/v1/projects/ml/runs",
      payload: { name: "nds", environment: "stg" },
    });
    runId = created.json<{ id: string }>().id;
  });
  afterAll(() => t.close());

  it("uploads the GPU-OOM log and prints the GPU out-of-memory finding first", async () => {
    const out = await cli("spark", "upload", runId, `${dir}/gpu_oom_eventlog.zstd`);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/^NDS - Power Run \(app-20250305192829-0000\), Spark 3\.3\.1/);
    expect(out.stdout).toMatch(/CRITICAL {2}GPU out of memory failed stage 34/);
    expect(out.stdout).toMatch(/spark\.rapids\.sql\.concurrentGpuTasks/);
    expect(out.stderr).toMatch(/as "gpu_oom_eventlog" on run/);
  }, 120_000);

  it("uploads a rolling directory's parts in order with its app status", async () => {
    const out = await cli("spark", "upload", runId, `${dir}/eventlog_v2_local-1623876083964`, "-o", "json");
    expect(out.code, out.stderr).toBe(0);
    const view = JSON.parse(out.stdout) as {
      name: string;
      analysis: { counts: { taskEnds: number; lines: number }; complete: boolean; source: { appStatus: string } };
    };
    expect(view.name).toBe("local-1623876083964");
    expect(view.analysis.counts).toMatchObject({ taskEnds: 2801, lines: 5621 });
    expect(view.analysis.source.appStatus).toBe("finished");
    expect(view.analysis.complete).toBe(true);
  }, 120_000);

  it("says what a file that is no event log looks like", async () => {
    const out = await cli("spark", "upload", runId, `${dir}/MANIFEST.md`);
    expect(out.code).not.toBe(0);
    expect(out.stderr, out.stderr).toMatch(
      /not a Spark event log: it looks like plain text starting with "# Spark event log fixtures/,
    );
  });
});
