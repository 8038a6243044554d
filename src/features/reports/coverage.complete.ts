import type { Kysely } from "kysely";
import type { Database } from "../../db/schema.ts";
import type { Ratio } from "../../shared/reports.api.ts";
import * as coverage from "./coverage.store.ts";
import { normalisePaths } from "./parsers/coverage/paths.ts";
import { type CoverageTotals, mergePath, patchCoverage } from "./reports.complete.ts";
import type { ReportRunRecord } from "./reports.types.ts";

/** Rows copied per step, and rows read per step for paths that need a merge; the event loop runs between steps. */
const COPY_STEP = 3000;
const MERGE_STEP = 200;

const nextTick = () => new Promise<void>((resolve) => setImmediate(resolve));

type Ref = { file_id: string; seq: number };

/**
 * Builds a run's merged coverage (run_coverage) from its files' rows. Paths are normalised from the paths alone; a path
 * that occurs once (the usual case) points at its stored row under its new name (no line data copied), and only paths that occur several times are
 * read and merged in JS, a few hundred rows at a time. Memory stays bounded and a big run never holds the API for the
 * whole merge. Totals come from SQL; patch coverage reads only the files the change touched.
 */
export async function completeCoverage(
  db: Kysely<Database>,
  run: ReportRunRecord,
): Promise<{ totals: CoverageTotals; patch: Ratio | null }> {
  const refs = await coverage.coverageRefs(db, run.id);
  const stripPrefix = run.diff?.pathPrefix;
  const names = normalisePaths([...new Set(refs.map((r) => r.path))], stripPrefix ? { stripPrefix } : {});
  const groups = new Map<string, Ref[]>();
  for (const ref of refs) {
    const path = names.get(ref.path) ?? ref.path;
    const group = groups.get(path);
    if (group) group.push({ file_id: ref.file_id, seq: ref.seq });
    else groups.set(path, [{ file_id: ref.file_id, seq: ref.seq }]);
  }
  await coverage.clearRunCoverage(db, run.id);
  const single: (Ref & { path: string })[] = [];
  const several: [string, Ref[]][] = [];
  for (const [path, group] of groups) {
    const [only] = group;
    if (group.length === 1 && only) single.push({ ...only, path });
    else several.push([path, group]);
  }
  for (let i = 0; i < single.length; i += COPY_STEP) {
    await coverage.referenceCoverage(db, run.id, single.slice(i, i + COPY_STEP));
    await nextTick();
  }
  await mergeSeveral(db, run.id, several);
  const totals = await coverage.runCoverageTotals(db, run.id);
  const diff = run.diff?.files;
  if (!diff || diff.length === 0) return { totals, patch: null };
  const paths = [...groups.keys()].sort();
  const touched = new Set<string>();
  for (const changed of diff) {
    const path = changed.path.replace(/^\.?\//, "");
    const hit = paths.find((p) => p === path || p.endsWith(`/${path}`) || path.endsWith(`/${p}`));
    if (hit) touched.add(hit);
  }
  const rows = (await coverage.runCoverageOf(db, run.id, [...touched])).sort((a, b) => (a.path < b.path ? -1 : 1));
  return { totals, patch: patchCoverage(rows, diff) };
}

async function mergeSeveral(db: Kysely<Database>, runId: string, several: [string, Ref[]][]): Promise<void> {
  let i = 0;
  while (i < several.length) {
    const step: [string, Ref[]][] = [];
    let size = 0;
    while (i < several.length && (step.length === 0 || size < MERGE_STEP)) {
      const next = several[i++];
      if (!next) break;
      step.push(next);
      size += next[1].length;
    }
    const rows = await coverage.coverageRowsAt(
      db,
      step.flatMap(([, refs]) => refs),
    );
    const at = new Map(rows.map((r) => [`${r.file_id} ${r.seq}`, r]));
    const merged = step.map(([path, refs]) =>
      mergePath(
        path,
        refs.flatMap((ref) => at.get(`${ref.file_id} ${ref.seq}`) ?? []),
      ),
    );
    await coverage.insertRunCoverage(db, runId, merged);
    await nextTick();
  }
}
