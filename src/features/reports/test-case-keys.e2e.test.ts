import type { Kysely } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../../../test/helpers/app.ts";
import { testDialects } from "../../../test/helpers/db.ts";
import { reportRunCalls } from "../../../test/helpers/report-runs.ts";
import * as keysMigration from "../../db/migrations/0020_reports_perf.ts";
import type { ReportRunDetail } from "../../shared/reports.api.ts";

type Case = { name: string; failed?: boolean };
const junit = (cases: Case[]) =>
  `<?xml version="1.0"?><testsuite name="s">${cases
    .map(
      (c) =>
        `<testcase classname="pkg.K" name="${c.name}" time="0.01">${c.failed ? `<failure message="boom">t</failure>` : ""}</testcase>`,
    )
    .join("")}</testsuite>`;

const YAML = `environments:
  - name: quant
    executor: { type: shell, config: { command: ["true"] } }
`;

describe.each(testDialects())("test keys of completed runs on %s", (dialect) => {
  let t: TestApp;
  let sha = 0x700;
  const nextSha = () => (sha++).toString(16).padStart(40, "e");

  const calls = reportRunCalls(() => t, "keys");
  const openRun = () => calls.open(nextSha());
  const { put, complete } = calls;
  const detail = async (runId: string) =>
    (await t.request({ method: "GET", url: `/api/v1/report-runs/${runId}` })).json<ReportRunDetail>();
  /** A run's keys as `test_case_keys` holds them, or as its `test_cases` rows say they should be. */
  const keysIn = (table: "test_case_keys" | "test_cases", runId: string) =>
    t.db.kysely
      .selectFrom(table)
      .select(["test_key", "file_id", "seq", "status"])
      .where("run_id", "=", runId)
      .orderBy("test_key")
      .orderBy("file_id")
      .orderBy("seq")
      .execute();
  const storedKeys = (runId: string) => keysIn("test_case_keys", runId);
  const caseKeys = (runId: string) => keysIn("test_cases", runId);

  beforeAll(async () => {
    t = await startTestApp(dialect);
    const res = await t.request({
      method: "PUT",
      url: "/api/v1/projects/keys/config",
      payload: YAML,
      headers: { "content-type": "application/yaml" },
    });
    expect(res.statusCode, res.body).toBe(200);
  });
  afterAll(() => t.close());

  it("stores one key row per stored case when a run completes, and completing again replaces them", async () => {
    const run = await openRun();
    // 2,600 + 300 cases: more rows than one key transaction writes.
    await put(run.id, "a.xml", junit(Array.from({ length: 2600 }, (_, i) => ({ name: `t_${i}`, failed: i % 97 === 3 }))));
    await put(run.id, "b.xml", junit(Array.from({ length: 300 }, (_, i) => ({ name: `t_${i}` }))));
    expect(await storedKeys(run.id)).toEqual([]);
    await complete(run.id);
    const expected = await caseKeys(run.id);
    expect(expected).toHaveLength(2900);
    expect(await storedKeys(run.id)).toEqual(expected);
    await complete(run.id);
    expect(await storedKeys(run.id)).toEqual(expected);
  });

  it("completes a run twice at the same time without an error, and keeps one key row per case", async () => {
    const run = await openRun();
    await put(run.id, "a.xml", junit(Array.from({ length: 4500 }, (_, i) => ({ name: `c_${i}` }))));
    const url = `/api/v1/report-runs/${run.id}/complete`;
    const both = await Promise.all([t.request({ method: "POST", url }), t.request({ method: "POST", url })]);
    expect(both.map((res) => res.statusCode)).toEqual([200, 200]);
    expect(await storedKeys(run.id)).toEqual(await caseKeys(run.id));
  });

  it("finds tests that failed in one file and passed in another as flaky, before and after the run completes", async () => {
    const run = await openRun();
    await put(run.id, "first.xml", junit([{ name: "shaky", failed: true }, { name: "broken", failed: true }, { name: "fine" }]));
    await put(run.id, "retry.xml", junit([{ name: "shaky" }]));
    const open = await detail(run.id);
    expect(open.flaky.map((c) => c.name)).toEqual(["shaky"]);
    expect(open.failures.map((c) => c.name)).toEqual(["broken"]);
    const done = await complete(run.id);
    expect(done.summary?.tests).toMatchObject({ total: 4, failed: 2, flaky: 1 });
    const completed = await detail(run.id);
    expect(completed.flaky.map((c) => c.name)).toEqual(["shaky"]);
    expect(completed.failures.map((c) => c.name)).toEqual(["broken"]);
  });

  it("compares with the base through its keys: new failures, fixed tests, added and removed", async () => {
    const base = await openRun();
    await put(
      base.id,
      "r.xml",
      junit([{ name: "stays" }, { name: "gets_fixed", failed: true }, { name: "goes" }, { name: "breaks" }]),
    );
    await complete(base.id);
    const run = await openRun();
    await put(
      run.id,
      "r.xml",
      junit([{ name: "stays" }, { name: "gets_fixed" }, { name: "breaks", failed: true }, { name: "new" }]),
    );
    await complete(run.id);
    expect((await detail(run.id)).comparison).toMatchObject({
      base: { runId: base.id },
      newFailures: ["pkg.K › breaks"],
      fixed: ["pkg.K › gets_fixed"],
      added: 1,
      removed: 1,
    });
  });

  it("backfills the keys of completed runs (not of open ones) when the migration runs, and the history reads them", async () => {
    const done = await openRun();
    await put(done.id, "r.xml", junit([{ name: "hist", failed: true }, { name: "other" }]));
    await complete(done.id);
    const open = await openRun();
    await put(open.id, "r.xml", junit([{ name: "hist" }]));
    const before = await storedKeys(done.id);
    expect(before).toHaveLength(2);

    const raw = t.db.kysely as unknown as Kysely<unknown>;
    await keysMigration.down(raw);
    await keysMigration.up(raw);
    expect(await storedKeys(done.id)).toEqual(before);
    expect(await storedKeys(open.id)).toEqual([]);

    const key = before.find((k) => k.status === "failed")?.test_key;
    const res = await t.request({ method: "GET", url: `/api/v1/projects/keys/tests/${key}/history?branch=main` });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<{ items: { runId: string; status: string }[] }>().items).toEqual([
      expect.objectContaining({ runId: done.id, status: "failed" }),
    ]);
  });
});
