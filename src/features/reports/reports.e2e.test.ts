import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../../../test/helpers/app.ts";
import { testDialects } from "../../../test/helpers/db.ts";
import { fixturesDir } from "../../../test/helpers/fixtures.ts";
import type { Deployment } from "../../shared/api.ts";
import type { CoverageEntry, ReportFile, ReportRun, ReportRunDetail, TestCase } from "../../shared/reports.api.ts";

const FIXTURES = fixturesDir("reports");
const fixture = (name: string) => readFileSync(`${FIXTURES}/${name}`);
const junit = (cases: { name: string; failed?: boolean }[]) =>
  `<?xml version="1.0"?><testsuite name="s" tests="${cases.length}">${cases
    .map(
      (c) =>
        `<testcase classname="pkg.T" name="${c.name}" time="0.01">${c.failed ? `<failure message="boom">trace</failure>` : ""}</testcase>`,
    )
    .join("")}</testsuite>`;
const lcov = (path: string, hits: number[]) =>
  `TN:\nSF:${path}\n${hits.map((h, i) => `DA:${i + 1},${h}`).join("\n")}\nend_of_record\n`;

const YAML = `environments:
  - name: quant
    executor: { type: shell, config: { command: ["true"] } }
    gates:
      - { type: tests_pass }
      - { type: coverage_min, lines: 80 }
      - { type: max_flaky, count: 0 }
`;

describe.each(testDialects())("reports on %s", (dialect) => {
  let t: TestApp;
  let sha = 100;
  const nextSha = () => (sha++).toString(16).padStart(40, "c");

  const openRun = async (commitSha: string, extra: Record<string, unknown> = {}) => {
    const res = await t.request({
      method: "POST",
      url: "/api/v1/projects/rep/report-runs",
      payload: { commitSha, branch: "main", ...extra },
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<ReportRun>();
  };
  const put = (runId: string, name: string, body: Buffer | string, headers: Record<string, string> = {}) =>
    t.request({
      method: "PUT",
      url: `/api/v1/report-runs/${runId}/files/${name}`,
      payload: body,
      headers: { "content-type": "application/octet-stream", ...headers },
    });
  const complete = async (runId: string) =>
    (await t.request({ method: "POST", url: `/api/v1/report-runs/${runId}/complete` })).json<ReportRun>();

  beforeAll(async () => {
    t = await startTestApp(dialect, {
      REPORT_MAX_BYTES: String(2 * 1024 * 1024),
      REPORT_MAX_DECOMPRESSED_BYTES: String(8 * 1024 * 1024),
    });
    const res = await t.request({
      method: "PUT",
      url: "/api/v1/projects/rep/config",
      payload: YAML,
      headers: { "content-type": "application/yaml" },
    });
    expect(res.statusCode, res.body).toBe(200);
  });
  afterAll(() => t.close());

  it("ingests JUnit and coverage files, detected by content, into one run with totals", async () => {
    const run = await openRun(nextSha(), { kind: "unit" });
    const tests = await put(run.id, "results.xml", fixture("junit-jest-junit.xml"));
    expect(tests.statusCode, tests.body).toBe(200);
    expect(tests.json<ReportFile>()).toMatchObject({ format: "junit", cases: 6 });
    const coverage = await put(run.id, "lcov.info", gzipSync(fixture("lcov-js-small.lcov")), { "content-encoding": "gzip" });
    expect(coverage.statusCode, coverage.body).toBe(200);
    expect(coverage.json<ReportFile>()).toMatchObject({ format: "lcov", coverageFiles: 3 });
    const done = await complete(run.id);
    expect(done.status).toBe("complete");
    expect(done.summary?.tests).toMatchObject({ total: 6, failed: 4, skipped: 1, passed: 1 });
    expect(done.summary?.coverage?.files).toBe(3);
    const detail = (await t.request({ method: "GET", url: `/api/v1/report-runs/${run.id}` })).json<ReportRunDetail>();
    expect(detail.failures).toHaveLength(4);
    expect(detail.failures[0]?.message ?? detail.failures[0]?.stack).toBeTruthy();
    const failed = (await t.request({ method: "GET", url: `/api/v1/report-runs/${run.id}/tests?status=failed&limit=2` })).json<{
      items: TestCase[];
      nextCursor: string;
    }>();
    expect(failed.items).toHaveLength(2);
    const rest = (
      await t.request({
        method: "GET",
        url: `/api/v1/report-runs/${run.id}/tests?status=failed&limit=2&cursor=${failed.nextCursor}`,
      })
    ).json<{ items: TestCase[] }>();
    expect(rest.items).toHaveLength(2);
    expect(rest.items.map((c) => c.name)).not.toContain(failed.items[0]?.name);
    const files = (await t.request({ method: "GET", url: `/api/v1/report-runs/${run.id}/coverage` })).json<{
      items: CoverageEntry[];
    }>();
    expect(files.items).toHaveLength(3);
    expect(files.items.every((f) => f.lines.total >= f.lines.covered)).toBe(true);
  });

  it("replaces a file uploaded twice under the same name and keeps others when one is broken", async () => {
    const run = await openRun(nextSha());
    await put(run.id, "a.xml", junit([{ name: "x" }, { name: "y" }]));
    await put(run.id, "a.xml", junit([{ name: "x" }]));
    await put(run.id, "b.xml", junit([{ name: "z" }]));
    const broken = await put(run.id, "c.xml", '<?xml version="1.0"?>\n<testsuite name="s">\n  <testcase name="a">\n');
    expect(broken.statusCode).toBe(422);
    expect(broken.json().error.code).toBe("invalid_report");
    expect(broken.json().error.message).toMatch(/line \d+/);
    const unknown = await put(run.id, "d.txt", "hello, this is not a report");
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json().error.code).toBe("unknown_report_format");
    const done = await complete(run.id);
    expect(done.files.map((f) => f.name)).toEqual(["a.xml", "b.xml"]);
    expect(done.summary?.tests.total).toBe(2);
  });

  it("refuses XML entity declarations, oversized uploads and decompression bombs", async () => {
    const run = await openRun(nextSha());
    const xxe =
      '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><testsuite><testcase name="&x;"/></testsuite>';
    expect((await put(run.id, "xxe.xml", xxe)).statusCode).toBe(422);
    const big = await put(run.id, "big.xml", Buffer.concat([Buffer.from("<testsuite>"), Buffer.alloc(3 * 1024 * 1024, 32)]));
    expect(big.statusCode).toBe(413);
    const bomb = await put(
      run.id,
      "bomb.xml",
      gzipSync(Buffer.concat([Buffer.from("<testsuite>"), Buffer.alloc(64 * 1024 * 1024, 32)])),
      {
        "content-encoding": "gzip",
      },
    );
    expect(bomb.statusCode).toBe(413);
    expect((await complete(run.id)).files).toEqual([]);
  });

  it("finds a test flaky when it failed in one run and passed in a retry of the same commit", async () => {
    const commit = nextSha();
    const first = await openRun(commit);
    await put(first.id, "r.xml", junit([{ name: "stable" }, { name: "wobbly", failed: true }]));
    await complete(first.id);
    const retry = await openRun(commit);
    await put(retry.id, "r.xml", junit([{ name: "stable" }, { name: "wobbly" }]));
    await complete(retry.id);
    const report = (await t.request({ method: "GET", url: `/api/v1/projects/rep/commits/${commit}/report` })).json<{
      kinds: { kind: string; failing: string[]; flaky: string[] }[];
    }>();
    expect(report.kinds).toEqual([expect.objectContaining({ kind: "unit", failing: [], flaky: ["pkg.T › wobbly"] })]);
    const flaky = (await t.request({ method: "GET", url: "/api/v1/projects/rep/flaky-tests?branch=main" })).json<{
      items: { name: string; commits: number }[];
    }>();
    expect(flaky.items).toContainEqual(expect.objectContaining({ name: "pkg.T › wobbly", commits: 1 }));
    const cases = (await t.request({ method: "GET", url: `/api/v1/report-runs/${retry.id}/tests?q=wobbly` })).json<{
      items: TestCase[];
    }>();
    const key = cases.items[0]?.key ?? "";
    const history = (await t.request({ method: "GET", url: `/api/v1/projects/rep/tests/${key}/history?branch=main` })).json<{
      items: { runId: string; status: string }[];
      counts: Record<string, number>;
    }>();
    expect(history.items.map((h) => [h.runId, h.status])).toEqual([
      [retry.id, "passed"],
      [first.id, "failed"],
    ]);
    expect(history.counts).toEqual({ passed: 1, failed: 1 });
  });

  it("refuses promotion when a gate fails, with evidence, and records an override with its reason", async () => {
    const release = async (version: string, commitSha: string) =>
      expect(
        (
          await t.request({
            method: "POST",
            url: "/api/v1/projects/rep/releases",
            payload: { version, commitSha, branch: "main" },
          })
        ).statusCode,
      ).toBe(201);
    const promote = (version: string, body: Record<string, unknown> = {}) =>
      t.request({
        method: "POST",
        url: `/api/v1/projects/rep/releases/${version}/promote`,
        payload: { environment: "quant", ...body },
      });

    await release("0.1.0", nextSha());
    const noReport = await promote("0.1.0");
    expect(noReport.statusCode).toBe(409);
    expect(noReport.json().error.code).toBe("gate_failed");
    expect(noReport.json().error.message).toMatch(/no unit report for commit [0-9a-f]{7}/);

    const lowCoverage = nextSha();
    const run = await openRun(lowCoverage);
    await put(run.id, "t.xml", junit([{ name: "ok" }]));
    await put(run.id, "lcov.info", lcov("src/a.ts", [1, 1, 0, 0, 0]));
    await complete(run.id);
    await release("0.2.0", lowCoverage);
    const refused = await promote("0.2.0");
    expect(refused.statusCode).toBe(409);
    const gates = refused.json().error.details.gates as {
      type: string;
      passed: boolean;
      actual: string;
      evidence: { runIds: string[] };
    }[];
    expect(gates.find((g) => g.type === "coverage_min")).toMatchObject({
      passed: false,
      actual: "lines 40%",
      evidence: { runIds: [run.id] },
    });
    expect(gates.find((g) => g.type === "tests_pass")?.passed).toBe(true);

    const overridden = await promote("0.2.0", { override: { reason: "hotfix for the outage, coverage follows" } });
    expect(overridden.statusCode, overridden.body).toBe(201);
    const recorded = (
      await t.request({ method: "GET", url: `/api/v1/deployments/${overridden.json<Deployment>().id}/gates` })
    ).json();
    expect(recorded).toMatchObject({ passed: false, override: { reason: "hotfix for the outage, coverage follows" } });

    const good = nextSha();
    const goodRun = await openRun(good);
    await put(goodRun.id, "t.xml", junit([{ name: "ok" }]));
    await put(goodRun.id, "lcov.info", lcov("src/a.ts", [1, 1, 1, 1, 0]));
    await complete(goodRun.id);
    await release("0.3.0", good);
    const passed = await promote("0.3.0");
    expect(passed.statusCode, passed.body).toBe(201);
    expect(
      (await t.request({ method: "GET", url: `/api/v1/deployments/${passed.json<Deployment>().id}/gates` })).json(),
    ).toMatchObject({ passed: true, override: null });
  });
});
