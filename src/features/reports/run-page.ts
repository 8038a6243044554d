import type { Kysely } from "kysely";
import type { Database, TestCasesTable } from "../../db/schema.ts";
import type { Comparison, TestCase } from "../../shared/reports.api.ts";
import * as keys from "./case-keys.store.ts";
import * as store from "./reports.store.ts";
import { FAILED, type ReportRunRecord, type RunPage } from "./reports.types.ts";
import * as cases from "./test-cases.store.ts";

const FIRST_FAILURES = 25;
const FLAKY_MARKED = 100;
const FAILING_SCANNED = 1000;
const SLOWEST = 10;
const NAMES_LISTED = 200;

/** How much of a case's message and stack a list carries: its first lines, up to a number of characters. */
export interface Cut {
  lines: number;
  chars: number;
}
/**
 * The run page opens its failures: the headline and first frames of each. A page of tests shows cases closed, so it
 * carries less. A case's own URL has it whole. (Whole 3–5 KiB stacks made the run page 236 KiB and a page of failed
 * tests 456 KiB, and their size, not the SQL, was the request's time.)
 */
export const PAGE_CUT: Cut = { lines: 8, chars: 1200 };
export const LIST_CUT: Cut = { lines: 3, chars: 400 };

/** The first `lines` lines of `text`, at most `chars` characters; `cut` when that left something out. */
export function headOf(text: string | null, lines: number, chars: number): { text: string | null; cut: boolean } {
  if (text === null) return { text, cut: false };
  let end = -1;
  for (let n = 0; n < lines; n++) {
    end = text.indexOf("\n", end + 1);
    if (end < 0) break;
  }
  const limit = Math.min(end < 0 ? text.length : end, chars);
  return limit >= text.length ? { text, cut: false } : { text: text.slice(0, limit), cut: true };
}

/** The case's id in its run: its file and place in the file, `<fileId>.<seq>`. */
export const caseId = (row: { file_id: string; seq: number }): string => `${row.file_id}.${row.seq}`;

/** A case as the API gives it; `cut` (lists) keeps the first lines of its message and stack. */
export function presentCase(row: TestCasesTable, cut?: Cut): TestCase {
  const message = cut ? headOf(row.message, cut.lines, cut.chars) : { text: row.message, cut: false };
  const stack = cut ? headOf(row.stack, cut.lines, cut.chars) : { text: row.stack, cut: false };
  return {
    key: row.test_key,
    suite: row.suite,
    classname: row.classname,
    name: row.name,
    file: row.file,
    durationMs: row.duration_ms,
    status: row.status,
    message: message.text,
    stack: stack.text,
    reruns: row.reruns,
    id: caseId(row),
    truncated: message.cut || stack.cut,
  };
}

/** How a test is named in lists and notifications: `class › name`. */
export const label = (c: { classname: string | null; name: string }) => (c.classname ? `${c.classname} › ${c.name}` : c.name);

/** The base to compare with: the `--base` commit's run of the same kind, else the latest completed run on the default branch. */
export async function baseOf(
  db: Kysely<Database>,
  run: ReportRunRecord,
  defaultBranch: string,
): Promise<ReportRunRecord | undefined> {
  if (run.baseSha) {
    const [base] = await store.runsOfCommit(db, run.projectId, run.baseSha, run.kind);
    if (base) return base;
  }
  const latest = await store.latestCompleted(db, {
    projectId: run.projectId,
    branch: defaultBranch,
    kind: run.kind,
    before: run.createdAt,
  });
  return latest && latest.commitSha !== run.commitSha ? latest : undefined;
}

function distinctLabels(rows: { test_key: string; classname: string | null; name: string }[]): string[] {
  const seen = new Map<string, string>();
  for (const row of rows) {
    if (!seen.has(row.test_key)) seen.set(row.test_key, label(row));
    if (seen.size >= NAMES_LISTED) break;
  }
  return [...seen.values()];
}

/** New failures and fixed tests from anti-joins over the failing rows (a few percent of a run); added/removed by key. */
export async function compareRuns(
  db: Kysely<Database>,
  run: ReportRunRecord,
  base: ReportRunRecord | undefined,
): Promise<Comparison> {
  if (!base) return { base: null, newFailures: [], fixed: [], added: 0, removed: 0, coverageDelta: null };
  const nowPct = run.summary?.coverage?.lines.pct;
  const thenPct = base.summary?.coverage?.lines.pct;
  return {
    base: { runId: base.id, commitSha: base.commitSha, branch: base.branch },
    newFailures: distinctLabels(await cases.failingNotFailingIn(db, run.id, base.id)),
    fixed: distinctLabels(await cases.fixedIn(db, base.id, run.id)),
    ...(await keys.countAddedRemoved(db, run.id, base.id)),
    coverageDelta: nowPct != null && thenPct != null ? Math.round((nowPct - thenPct) * 100) / 100 : null,
  };
}

/**
 * Failures (not counting tests that also passed), flaky (marked, or failed and passed in this run) and the slowest.
 * `duplicated` (the keys that both passed and failed) when the caller already has them.
 */
export async function computeCaseLists(
  db: Kysely<Database>,
  run: { id: string; status: string },
  duplicatedKeys?: string[],
): Promise<Omit<RunPage, "comparison">> {
  const runId = run.id;
  const duplicated = new Set(duplicatedKeys ?? (await keys.duplicatedFlakyKeys(db, run)));
  const failing = await cases.casesWithStatus(db, runId, FAILED, FAILING_SCANNED);
  const marked = await cases.casesWithStatus(db, runId, ["flaky"], FLAKY_MARKED);
  return {
    failures: failing
      .filter((c) => !duplicated.has(c.test_key))
      .slice(0, FIRST_FAILURES)
      .map((c) => presentCase(c, PAGE_CUT)),
    flaky: [...marked, ...failing.filter((c) => duplicated.has(c.test_key))].map((c) => presentCase(c, PAGE_CUT)),
    slowest: (await cases.slowestCases(db, runId, SLOWEST)).map((c) => presentCase(c, PAGE_CUT)),
  };
}
