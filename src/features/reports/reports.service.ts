import type { Kysely } from "kysely";
import type { Database } from "../../db/schema.ts";
import type { Clock } from "../../shared/clock.ts";
import { conflict, notFound } from "../../shared/errors.ts";
import { newId } from "../../shared/ids.ts";
import type { Comparison, CreateReportRunBody, ReportFile, ReportRun } from "../../shared/reports.api.ts";
import type { ProjectsService } from "../projects/projects.service.ts";
import * as keys from "./case-keys.store.ts";
import { completeCoverage } from "./coverage.complete.ts";
import type { ReportFormat } from "./parsers/parser.types.ts";
import { summarise } from "./reports.complete.ts";
import { ingestFile } from "./reports.ingest.ts";
import * as store from "./reports.store.ts";
import type { ReportRunRecord } from "./reports.types.ts";
import { baseOf, compareRuns, computeCaseLists } from "./run-page.ts";
import * as cases from "./test-cases.store.ts";
import type { UploadLimits } from "./upload.stream.ts";

export interface ReportsDeps {
  db: Kysely<Database>;
  clock: Clock;
  projects: ProjectsService;
  limits: UploadLimits;
  /** The branch whose latest run is the base of a run without `--base` ("main" when not given). */
  defaultBranch?: string;
  /**
   * Called after a run completes (commit statuses, notifications), with its comparison with the base (coverage delta,
   * new failures); never blocks or fails the upload.
   */
  onComplete?: (run: ReportRun & { projectId: string; comparison: Comparison }) => Promise<void>;
}

export function createReportsService(deps: ReportsDeps) {
  const { db, clock } = deps;

  async function record(id: string): Promise<ReportRunRecord> {
    const run = await store.findRun(db, id);
    if (!run) throw notFound("report_run_not_found", `Report run ${id} does not exist`, { id });
    return run;
  }

  async function present(run: ReportRunRecord): Promise<ReportRun> {
    const files = await store.listFiles(db, run.id);
    return {
      id: run.id,
      project: run.projectSlug,
      commitSha: run.commitSha,
      branch: run.branch,
      kind: run.kind,
      baseSha: run.baseSha,
      ci: run.ci,
      status: run.status,
      files: files.map(
        (f): ReportFile => ({
          name: f.name,
          format: f.format,
          bytes: f.bytes,
          cases: f.summary.cases,
          coverageFiles: f.summary.coverageFiles,
          warnings: f.summary.warnings,
        }),
      ),
      summary: run.summary,
      url: `/api/v1/report-runs/${run.id}`,
      createdAt: run.createdAt,
      completedAt: run.completedAt,
    };
  }

  async function create(slug: string, input: CreateReportRunBody, createdBy: string | null): Promise<ReportRun> {
    const project = await deps.projects.record(slug);
    const at = clock.now();
    const run: ReportRunRecord = {
      id: newId("run", at.getTime()),
      projectId: project.id,
      projectSlug: project.slug,
      commitSha: input.commitSha.toLowerCase(),
      branch: input.branch,
      kind: input.kind ?? "unit",
      baseSha: input.baseSha?.toLowerCase() ?? null,
      ci: input.ci ?? null,
      diff:
        input.diff || input.pathPrefix
          ? { files: input.diff ?? [], ...(input.pathPrefix ? { pathPrefix: input.pathPrefix } : {}) }
          : null,
      status: "open",
      summary: null,
      createdBy,
      createdAt: at.toISOString(),
      completedAt: null,
    };
    await store.insertRun(db, run);
    return present(run);
  }

  async function upload(
    id: string,
    input: { name: string; format: "auto" | ReportFormat; gzip: boolean; body: AsyncIterable<Buffer | Uint8Array | string> },
  ) {
    const run = await record(id);
    if (run.status === "complete") {
      throw conflict("invalid_state", `Report run ${id} is complete; create a new run for more files`, { status: run.status });
    }
    const stored = await ingestFile({ db, clock, limits: deps.limits }, { run, ...input });
    return {
      name: input.name,
      format: stored.format,
      bytes: stored.bytes,
      cases: stored.summary.cases,
      coverageFiles: stored.summary.coverageFiles,
      warnings: stored.summary.warnings,
    };
  }

  /** Computes totals, merged coverage and patch coverage; completing again recomputes. */
  async function complete(id: string): Promise<ReportRun> {
    const run = await record(id);
    // The keys first: the comparison with the base and the flaky probes read them.
    const duplicated = await keys.storeRunKeys(db, run.id);
    const counts = await cases.countByStatus(db, run.id);
    const coverage = await completeCoverage(db, run);
    const summary = summarise({
      counts,
      coverage: coverage.totals,
      patch: coverage.patch,
      duplicatesFlaky: duplicated.length,
    });
    const at = clock.now().toISOString();
    const lists = await computeCaseLists(db, run, duplicated);
    const done = { ...run, status: "complete" as const, summary };
    const comparison = await compareRuns(db, done, await baseOf(db, done, deps.defaultBranch ?? "main"));
    await store.completeRun(db, run.id, { summary, page: { ...lists, comparison }, at });
    const completed = await present(await record(run.id));
    if (deps.onComplete) void deps.onComplete({ ...completed, projectId: run.projectId, comparison }).catch(() => undefined);
    return completed;
  }

  return { record, present, create, upload, complete };
}

export type ReportsService = ReturnType<typeof createReportsService>;
