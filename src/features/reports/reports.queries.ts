import type { Kysely } from "kysely";
import type { Database, TestCasesTable } from "../../db/schema.ts";
import { invalid, notFound } from "../../shared/errors.ts";
import type { Comparison, CoverageEntry, ReportRunDetail } from "../../shared/reports.api.ts";
import * as coverageStore from "./coverage.store.ts";
import { uncoveredRangesOfJson } from "./parsers/coverage/paths.ts";
import { ratio } from "./reports.complete.ts";
import type { ReportsService } from "./reports.service.ts";
import * as store from "./reports.store.ts";
import type { ReportRunRecord, RunPage } from "./reports.types.ts";
import { baseOf, compareRuns, computeCaseLists, LIST_CUT, presentCase } from "./run-page.ts";
import * as cases from "./test-cases.store.ts";

export { FAILED } from "./reports.types.ts";
export { label, presentCase } from "./run-page.ts";

/** Name-index chunks read per query while searching: a common name fills a page from the first few. */
const CHUNKS_PER_READ = 4;

/** Keyset position in a run's tests: the last case's file and seq, as `<fileId>.<seq>`. */
interface CasePosition {
  fileId: string;
  seq: number;
}

const CURSOR = /^([A-Za-z0-9_-]{1,64})\.(\d{1,9})$/;

export function decodeCaseCursor(text: string | undefined): CasePosition | undefined {
  if (text === undefined || text === "") return undefined;
  const match = CURSOR.exec(text);
  if (!match?.[1] || !match[2])
    throw invalid("cursor is not one this server handed out; start again without it", { field: "cursor" });
  return { fileId: match[1], seq: Number(match[2]) };
}

/** The base run id recorded in a stored page (`"comparison":{"base":{"runId":…}}` or `"base":null`). */
function storedBase(json: string): string | null | undefined {
  const at = json.lastIndexOf('"comparison":{"base":');
  if (at < 0) return undefined;
  const rest = json.slice(at + '"comparison":{"base":'.length, at + 200);
  if (rest.startsWith("null")) return null;
  return /^\{"runId":"([^"\\]+)"/.exec(rest)?.[1];
}

const encodeCaseCursor = (row: TestCasesTable): string => `${row.file_id}.${row.seq}`;

/** Read views of reports: a run's page, its tests and coverage, comparisons with a base run. */
export function createReportQueries(deps: { db: Kysely<Database>; reports: ReportsService; defaultBranch: string }) {
  const { db, reports } = deps;

  async function compare(run: ReportRunRecord): Promise<Comparison | null> {
    if (run.status !== "complete") return null;
    return JSON.parse((await page(run)).json).comparison as Comparison;
  }

  /**
   * The stored page of a completed run as JSON text; computed here (and stored) for runs completed before pages were
   * stored, and the comparison recomputed when the run's base is no longer the one it was compared with (a base run
   * completed later). The base is found from the text's `"comparison":{"base":…}` without parsing the whole page.
   */
  async function page(run: ReportRunRecord): Promise<{ json: string; base: string | null }> {
    const saved = await store.runPageJson(db, run.id);
    const stored = saved?.startsWith(store.PAGE_PREFIX) ? `{${saved.slice(store.PAGE_PREFIX.length)}` : null;
    const base = await baseOf(db, run, deps.defaultBranch);
    if (stored && storedBase(stored) === (base?.id ?? null)) return { json: stored, base: base?.id ?? null };
    const lists = stored ? (JSON.parse(stored) as RunPage) : await computeCaseLists(db, run);
    const fresh: RunPage = {
      failures: lists.failures,
      flaky: lists.flaky,
      slowest: lists.slowest,
      comparison: await compareRuns(db, run, base),
    };
    await store.saveRunPage(db, run.id, fresh);
    return { json: JSON.stringify(fresh), base: base?.id ?? null };
  }

  async function detail(id: string): Promise<ReportRunDetail> {
    return JSON.parse(await detailJson(id)) as ReportRunDetail;
  }

  /**
   * The run page as JSON text: the run as `present` gives it, followed by the stored page's members, spliced as text.
   * The page holds up to a few hundred KiB of messages and stacks; parsing and serialising it again on every view was
   * most of the request's time.
   */
  async function detailJson(id: string): Promise<string> {
    const run = await reports.record(id);
    const presented = JSON.stringify(await reports.present(run));
    const json =
      run.status === "complete"
        ? (await page(run)).json
        : JSON.stringify({ ...(await computeCaseLists(db, run)), comparison: null });
    return `${presented.slice(0, -1)},${json.slice(1)}`;
  }

  /** The next matching cases of one file after `afterSeq`, at most `limit`: a seek on an index, or a name-index scan. */
  async function fromFile(
    fileId: string,
    filter: { status?: string; needle?: string; afterSeq: number; limit: number },
  ): Promise<TestCasesTable[]> {
    const { needle, status, limit } = filter;
    if (needle === undefined)
      return cases.casesOfFile(db, { fileId, afterSeq: filter.afterSeq, limit, ...(status ? { status } : {}) });
    const found: TestCasesTable[] = [];
    let afterSeq = filter.afterSeq;
    while (found.length < limit) {
      const chunks = await cases.matchingChunks(db, { fileId, afterSeq, needle, limit: CHUNKS_PER_READ });
      for (const chunk of chunks) {
        const seqs = cases
          .matchingLines(chunk.names, needle)
          .map((line) => chunk.first_seq + line)
          .filter((seq) => seq > afterSeq);
        found.push(...(await cases.casesBySeq(db, { fileId, seqs, ...(status ? { status } : {}) })));
        if (found.length >= limit) break;
      }
      const last = chunks.at(-1);
      if (!last || chunks.length < CHUNKS_PER_READ) break;
      afterSeq = last.last_seq;
    }
    return found.slice(0, limit);
  }

  /** A page of a run's tests in (file, seq) order, keyset-paged: every read is a seek, however deep the page. */
  async function tests(id: string, filter: { status?: string; q?: string; limit: number; cursor?: string }) {
    const run = await reports.record(id);
    const after = decodeCaseCursor(filter.cursor);
    const needle = filter.q ? cases.searchText(filter.q) : undefined;
    const rows: TestCasesTable[] = [];
    for (const fileId of await cases.storedFileIds(db, run.id)) {
      if (after && fileId < after.fileId) continue;
      const afterSeq = after && fileId === after.fileId ? after.seq : -1;
      rows.push(
        ...(await fromFile(fileId, {
          afterSeq,
          limit: filter.limit + 1 - rows.length,
          ...(filter.status ? { status: filter.status } : {}),
          ...(needle ? { needle } : {}),
        })),
      );
      if (rows.length > filter.limit) break;
    }
    const items = rows.slice(0, filter.limit);
    const last = items.at(-1);
    return {
      items: items.map((row) => presentCase(row, LIST_CUT)),
      nextCursor: rows.length > filter.limit && last ? encodeCaseCursor(last) : null,
    };
  }

  /** One case whole: its full message and stack, and its captured output. `caseId` is the `id` lists give it. */
  async function testCase(id: string, caseId: string) {
    const run = await reports.record(id);
    const at = CURSOR.exec(caseId);
    const [row] =
      at?.[1] && at[2] && (await cases.storedFileIds(db, run.id)).includes(at[1])
        ? await cases.casesBySeq(db, { fileId: at[1], seqs: [Number(at[2])] })
        : [];
    if (!row) throw notFound("not_found", `Run ${id} has no test case ${caseId}`, { id, caseId });
    return { ...presentCase(row), systemOut: row.system_out, systemErr: row.system_err };
  }

  async function coverage(id: string, filter: { path?: string; limit: number; after?: string }) {
    const run = await reports.record(id);
    const rows = await coverageStore.listRunCoverage(db, run.id, {
      limit: filter.limit,
      ...(filter.path ? { prefix: filter.path } : {}),
      ...(filter.after ? { after: filter.after } : {}),
    });
    const items = rows.slice(0, filter.limit).map(
      (row): CoverageEntry => ({
        path: row.path,
        lines: ratio(row.lines_covered, row.lines_total),
        branches: ratio(row.branches_covered, row.branches_total),
        uncovered:
          row.uncovered_json !== null
            ? (JSON.parse(row.uncovered_json) as [number, number][])
            : uncoveredRangesOfJson(row.lines_json ?? "[]"),
      }),
    );
    return { items, nextCursor: rows.length > filter.limit ? (items.at(-1)?.path ?? null) : null };
  }

  return {
    detail,
    detailJson,
    tests,
    testCase,
    coverage,
    compare,
    baseOf: (run: ReportRunRecord) => baseOf(db, run, deps.defaultBranch),
    record: reports.record,
  };
}

export type ReportQueries = ReturnType<typeof createReportQueries>;
