import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../../../test/helpers/app.ts";
import { testDialects } from "../../../test/helpers/db.ts";
import { reportRunCalls } from "../../../test/helpers/report-runs.ts";
import type { CoverageEntry, ReportRunDetail, TestCase } from "../../shared/reports.api.ts";
import { ftsTrigrams, matchingLines } from "./test-cases.store.ts";

type Case = { name: string; cls?: string; status?: "failed" | "errored" | "skipped"; time?: number };
const junit = (cases: Case[]) =>
  `<?xml version="1.0"?><testsuite name="s" tests="${cases.length}">${cases
    .map(
      (c) =>
        `<testcase classname="${c.cls ?? "pkg.T"}" name="${c.name}" time="${c.time ?? 0.01}">${
          c.status === "failed"
            ? `<failure message="boom">trace</failure>`
            : c.status === "errored"
              ? `<error message="crash">trace</error>`
              : c.status === "skipped"
                ? "<skipped/>"
                : ""
        }</testcase>`,
    )
    .join("")}</testsuite>`;

const YAML = `environments:
  - name: quant
    executor: { type: shell, config: { command: ["true"] } }
`;

describe("name search helpers", () => {
  it("finds the lines holding a substring, once per line", () => {
    expect(matchingLines("a\tab\nx\ty\nab\tab", "ab")).toEqual([0, 2]);
    expect(matchingLines("", "ab")).toEqual([]);
    expect(matchingLines("q\tq\nq\tabc", "abc")).toEqual([1]);
  });
  it("turns a query into the AND of its distinct trigrams, none under 3 characters", () => {
    expect(ftsTrigrams("ab")).toBeNull();
    expect(ftsTrigrams("aaaa")).toBe('"aaa"');
    expect(ftsTrigrams('a"bc')).toBe('"a""b" AND """bc"');
  });
});

describe.each(testDialects())("the report page on %s", (dialect) => {
  let t: TestApp;
  let sha = 0x500;
  const nextSha = () => (sha++).toString(16).padStart(40, "d");

  const calls = reportRunCalls(() => t, "page");
  const openRun = calls.open;
  const { put, complete } = calls;
  type Page = { items: TestCase[]; nextCursor: string | null };
  const page = async (runId: string, query: string) => {
    const res = await t.request({ method: "GET", url: `/api/v1/report-runs/${runId}/tests?${query}` });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<Page>();
  };
  /** Every item, following nextCursor. */
  const all = async (runId: string, query: string) => {
    const items: TestCase[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 100; i++) {
      const next: Page = await page(runId, `${query}${cursor ? `&cursor=${cursor}` : ""}`);
      items.push(...next.items);
      cursor = next.nextCursor;
      if (!cursor) break;
    }
    return items;
  };

  beforeAll(async () => {
    t = await startTestApp(dialect);
    const res = await t.request({
      method: "PUT",
      url: "/api/v1/projects/page/config",
      payload: YAML,
      headers: { "content-type": "application/yaml" },
    });
    expect(res.statusCode, res.body).toBe(200);
  });
  afterAll(() => t.close());

  it("pages through several files and across index chunks by keyset, filters by status and searches names", async () => {
    const run = await openRun(nextSha());
    // 4500 + 900 cases: more than one 4000-row flush and many 400-name chunks in the first file.
    const first: Case[] = Array.from({ length: 4500 }, (_, i) => ({
      name: `test_${String(i).padStart(5, "0")}`,
      ...(i % 500 === 7 ? { status: "failed" as const } : {}),
      ...(i === 4321 ? { cls: "pkg.NeedleInHaystack" } : {}),
    }));
    const second: Case[] = Array.from({ length: 900 }, (_, i) => ({
      name: `other_${i}`,
      cls: "pkg.Other",
      ...(i % 300 === 1 ? { status: "failed" as const } : {}),
    }));
    await put(run.id, "a.xml", junit(first));
    await put(run.id, "b.xml", junit(second));
    await complete(run.id);

    const everything = await all(run.id, "limit=500");
    expect(everything).toHaveLength(5400);
    expect(everything[0]?.name).toBe("test_00000");
    expect(everything[4499]?.name).toBe("test_04499");
    expect(everything[4500]?.name).toBe("other_0");
    expect(new Set(everything.map((c) => `${c.classname} ${c.name}`)).size).toBe(5400);

    const failed = await all(run.id, "status=failed&limit=3");
    expect(failed.map((c) => c.name)).toEqual([
      ...Array.from({ length: 9 }, (_, i) => `test_${String(i * 500 + 7).padStart(5, "0")}`),
      "other_1",
      "other_301",
      "other_601",
    ]);

    // Case-insensitive substring of a name, of a class, across chunk and file boundaries, with and without status.
    expect((await all(run.id, "q=TEST_0432&limit=4")).map((c) => c.name)).toEqual(
      Array.from({ length: 10 }, (_, i) => `test_0432${i}`),
    );
    expect((await all(run.id, "q=haystack")).map((c) => c.name)).toEqual(["test_04321"]);
    expect((await all(run.id, "q=99&limit=7")).length).toBe(
      everything.filter((c) => `${c.classname}\t${c.name}`.toLowerCase().includes("99")).length,
    );
    expect((await all(run.id, "q=er_60&status=failed")).map((c) => c.name)).toEqual(["other_601"]);
    expect((await all(run.id, "q=_0&status=failed&limit=2")).map((c) => c.name)).toEqual(
      failed.filter((c) => c.name.includes("_0")).map((c) => c.name),
    );
    expect(await all(run.id, "q=no-such-test")).toEqual([]);
    // Quotes and LIKE wildcards are searched for literally.
    expect(await all(run.id, "q=t%22est")).toEqual([]);
    expect(await all(run.id, "q=test%25")).toEqual([]);
    expect((await all(run.id, "q=t_0000&limit=500")).map((c) => c.name)).toEqual(
      Array.from({ length: 10 }, (_, i) => `test_0000${i}`),
    );
    expect((await all(run.id, "q=r_")).length).toBe(900);

    const bad = await t.request({ method: "GET", url: `/api/v1/report-runs/${run.id}/tests?cursor=100` });
    expect(bad.statusCode).toBe(400);
  });

  it("stores failures, flaky, slowest and the comparison with the base when the run completes", async () => {
    const base = await openRun(nextSha());
    await put(
      base.id,
      "r.xml",
      junit([
        { name: "stays_red", status: "failed" },
        { name: "gets_fixed", status: "failed" },
        { name: "removed_one" },
        { name: "ok" },
      ]),
    );
    await complete(base.id);

    const run = await openRun(nextSha());
    await put(
      run.id,
      "r.xml",
      junit([
        { name: "stays_red", status: "failed" },
        { name: "gets_fixed" },
        { name: "ok", time: 9 },
        { name: "breaks_now", status: "errored" },
        { name: "added_one", time: 3 },
        { name: "wobbly", status: "failed" },
      ]),
    );
    await put(run.id, "retry.xml", junit([{ name: "wobbly" }]));
    const done = await complete(run.id);
    expect(done.summary?.tests).toMatchObject({ total: 7, failed: 2, errored: 1, flaky: 1 });

    const detail = (await t.request({ method: "GET", url: `/api/v1/report-runs/${run.id}` })).json<ReportRunDetail>();
    expect(detail.failures.map((c) => c.name)).toEqual(["stays_red", "breaks_now"]);
    expect(detail.flaky.map((c) => c.name)).toEqual(["wobbly"]);
    expect(detail.slowest.slice(0, 2).map((c) => c.name)).toEqual(["ok", "added_one"]);
    expect(detail.comparison).toEqual({
      base: { runId: base.id, commitSha: base.commitSha, branch: "main" },
      newFailures: ["pkg.T › breaks_now", "pkg.T › wobbly"],
      fixed: ["pkg.T › gets_fixed"],
      added: 3,
      removed: 1,
      coverageDelta: null,
    });
    // A second view reads what was stored and says the same.
    const again = (await t.request({ method: "GET", url: `/api/v1/report-runs/${run.id}` })).json<ReportRunDetail>();
    expect(again).toEqual(detail);
  });

  it("counts tests added and removed against the base over more keys than one lookup reads", async () => {
    const named = (from: number, to: number): Case[] =>
      Array.from({ length: to - from }, (_, i) => ({
        name: `k_${from + i}`,
        ...((from + i) % 7 === 0 ? { status: "failed" as const } : {}),
      }));
    const base = await openRun(nextSha());
    await put(base.id, "r.xml", junit(named(0, 5300)));
    await complete(base.id);
    const run = await openRun(nextSha());
    await put(run.id, "r.xml", junit(named(100, 5400)));
    // The same keys again in a second file (a retry): counted once.
    await put(run.id, "retry.xml", junit(named(5350, 5400)));
    await complete(run.id);
    const detail = (await t.request({ method: "GET", url: `/api/v1/report-runs/${run.id}` })).json<ReportRunDetail>();
    expect(detail.comparison).toMatchObject({ base: { runId: base.id }, added: 100, removed: 100 });
  });

  it("lists cut long stacks to their first lines, and a case's own URL gives it whole with its output", async () => {
    const run = await openRun(nextSha());
    const frames = Array.from({ length: 40 }, (_, i) => `    at pkg.Deep.frame${i}(Deep.java:${i + 1})`);
    const stack = `java.lang.AssertionError: deep&#10;${frames.join("&#10;")}`;
    await put(
      run.id,
      "deep.xml",
      `<testsuite name="s"><testcase classname="pkg.Deep" name="deep"><failure message="deep">${stack}</failure>` +
        `<system-out>printed by deep</system-out></testcase><testcase classname="pkg.Deep" name="short">` +
        `<failure message="short">one line</failure></testcase></testsuite>`,
    );
    await complete(run.id);
    const whole = `java.lang.AssertionError: deep\n${frames.join("\n")}`;

    const detail = (await t.request({ method: "GET", url: `/api/v1/report-runs/${run.id}` })).json<ReportRunDetail>();
    const [deep, short] = detail.failures;
    expect(deep?.truncated).toBe(true);
    expect(deep?.stack?.split("\n")).toEqual(whole.split("\n").slice(0, 8));
    expect(short).toMatchObject({ name: "short", stack: "one line", truncated: false });
    const listed = (await page(run.id, "status=failed")).items;
    // A page of tests shows cases closed: it carries fewer lines than the run page, which opens its failures.
    expect(listed.map((c) => [c.name, c.stack?.split("\n").length, c.truncated, c.id])).toEqual([
      ["deep", 3, true, deep?.id],
      ["short", 1, false, short?.id],
    ]);

    const res = await t.request({ method: "GET", url: `/api/v1/report-runs/${run.id}/tests/${deep?.id}` });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ name: "deep", stack: whole, truncated: false, systemOut: "printed by deep" });
    const other = await openRun(nextSha());
    const missing = await t.request({ method: "GET", url: `/api/v1/report-runs/${other.id}/tests/${deep?.id}` });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ error: { code: "not_found" } });
    const malformed = await t.request({ method: "GET", url: `/api/v1/report-runs/${run.id}/tests/nope` });
    expect(malformed.statusCode).toBe(400);

    // A page stored by an older version (no layout, whole stacks) is recomputed on its first view.
    const old = JSON.stringify({ failures: [{ name: "stale" }], flaky: [], slowest: [], comparison: { base: null } });
    await t.db.kysely.updateTable("report_runs").set({ view_json: old }).where("id", "=", run.id).execute();
    const again = (await t.request({ method: "GET", url: `/api/v1/report-runs/${run.id}` })).json<ReportRunDetail>();
    expect(again).toEqual(detail);
  });

  it("merges coverage of a path that comes several times and copies the others under their normalised path", async () => {
    const run = await openRun(nextSha(), { diff: [{ path: "src/a.ts", ranges: [[1, 4]] }] });
    const lcov = (path: string, hits: number[]) =>
      `TN:\nSF:${path}\n${hits.map((h, i) => `DA:${i + 1},${h}`).join("\n")}\nend_of_record\n`;
    await put(run.id, "one.info", lcov("/ci/work/src/a.ts", [1, 0, 0, 1]) + lcov("/ci/work/src/b.ts", [1, 1]));
    await put(run.id, "two.info", lcov("/ci/work/src/a.ts", [0, 1, 0, 0]) + lcov("/ci/work/test/c.ts", [0]));
    const done = await complete(run.id);
    expect(done.summary?.coverage).toEqual({ lines: { covered: 5, total: 7, pct: 71.43 }, branches: null, files: 3 });
    expect(done.summary?.patchCoverage).toEqual({ covered: 3, total: 4, pct: 75 });
    const coverage = (await t.request({ method: "GET", url: `/api/v1/report-runs/${run.id}/coverage` })).json<{
      items: CoverageEntry[];
    }>();
    expect(coverage.items.map((c) => [c.path, c.lines.covered, c.lines.total, c.uncovered])).toEqual([
      ["src/a.ts", 3, 4, [[3, 3]]],
      ["src/b.ts", 2, 2, []],
      ["test/c.ts", 0, 1, [[1, 1]]],
    ]);
    // Rows stored before their uncovered ranges were (0018) give the same list, from their line data.
    await t.db.kysely.updateTable("coverage_files").set({ uncovered_json: null }).where("run_id", "=", run.id).execute();
    await t.db.kysely.updateTable("run_coverage").set({ uncovered_json: null }).where("run_id", "=", run.id).execute();
    const derived = await t.request({ method: "GET", url: `/api/v1/report-runs/${run.id}/coverage` });
    expect(derived.json()).toEqual(coverage);
    // Completing again recomputes the same.
    expect((await complete(run.id)).summary).toEqual(done.summary);
  });
});
