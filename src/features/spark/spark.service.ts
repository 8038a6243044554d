import type { Kysely } from "kysely";
import type { Database } from "../../db/schema.ts";
import type { Clock } from "../../shared/clock.ts";
import { DomainError } from "../../shared/errors.ts";
import { newId } from "../../shared/ids.ts";
import type { RunFinding } from "../../shared/runs.api.ts";
import type { RunsService } from "../runs/runs.service.ts";
import type { DecodeLimits } from "./codecs/decode.ts";
import { compareAnalyses, type SparkComparison } from "./diagnoses/compare.ts";
import { SparkIngest } from "./ingest/spark-ingest.ts";
import { type AnalysisListItem, createSparkStore } from "./spark.store.ts";
import type { SourceInfo, SparkAnalysis } from "./spark.types.ts";

export interface SparkServiceDeps {
  db: Kysely<Database>;
  clock: Clock;
  runs: Pick<RunsService, "getRun">;
  limits?: DecodeLimits;
}

export interface AnalysisView {
  runId: string;
  name: string;
  createdAt: string;
  analysis: SparkAnalysis;
  /** Against the same-named analysis of the previous run of the same job, when there is one. */
  comparison: (SparkComparison & { previousRunId: string }) | null;
}

/** A finding as the run summary lists it (the runs API's shape, from src/shared). */
export type SparkRunFinding = RunFinding & { source: "spark" };

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** Lists in a stored analysis are capped so one row stays small (the full counts are in `counts`). */
const MAX_LISTED = 500;

function checkName(name: string): void {
  if (!NAME.test(name)) {
    throw new DomainError(
      "invalid_request",
      `Analysis name "${name}" is not valid: use 1-128 letters, digits, ".", "_" or "-", starting with a letter or digit`,
      {
        details: { name },
      },
    );
  }
}

function trimmed(analysis: SparkAnalysis): SparkAnalysis {
  const stages =
    analysis.stages.length <= MAX_LISTED
      ? analysis.stages
      : [...analysis.stages].sort((a, b) => b.runMs - a.runMs).slice(0, MAX_LISTED);
  return {
    ...analysis,
    stages,
    jobs: analysis.jobs.slice(0, MAX_LISTED),
    executors: analysis.executors.slice(0, MAX_LISTED),
    executorsRemoved: analysis.executorsRemoved.slice(0, MAX_LISTED),
  };
}

/** Spark event logs of a run: analyse an upload as it streams, keep the model and findings, compare with the last run. */
export function createSparkService(deps: SparkServiceDeps) {
  const store = createSparkStore(deps.db);

  async function view(runId: string, name: string): Promise<AnalysisView> {
    const run = await deps.runs.getRun(runId);
    const stored = await store.get(run.id, name);
    if (!stored)
      throw new DomainError("not_found", `Run ${run.id} has no Spark analysis named "${name}"`, {
        details: { runId: run.id, name },
      });
    const previous = await store.previous({
      projectId: run.projectId,
      runName: run.name,
      environment: run.environment,
      before: run.createdAt,
      name,
    });
    return {
      runId: run.id,
      name,
      createdAt: stored.createdAt,
      analysis: stored.analysis,
      comparison: previous ? { previousRunId: previous.runId, ...compareAnalyses(previous.analysis, stored.analysis) } : null,
    };
  }

  return {
    /**
     * Analyses `body` (one event log, or the parts of a rolling log concatenated in N order) and stores it as `name`
     * on the run, replacing an earlier upload of that name. 422 when it is no event log, 413 for a decompression bomb.
     */
    async upload(
      runId: string,
      input: { name: string; body: AsyncIterable<Uint8Array>; appStatus?: SourceInfo["appStatus"] },
    ): Promise<AnalysisView> {
      checkName(input.name);
      const run = await deps.runs.getRun(runId);
      const ingest = new SparkIngest(deps.limits ? { limits: deps.limits } : {});
      await ingest.addPart(input.body, input.name);
      const analysis = trimmed(ingest.finish(input.appStatus ?? null));
      const now = deps.clock.now();
      await store.put({
        id: newId("spk", now.getTime()),
        runId: run.id,
        name: input.name,
        analysis,
        createdAt: now.toISOString(),
      });
      return view(run.id, input.name);
    },

    /** The run's critical findings as problems for the `run_healthy` gate: "spark analysis driver: GPU out of memory …". */
    async criticalProblems(runId: string): Promise<string[]> {
      return (await store.list(runId)).flatMap((item) =>
        item.findings
          .filter((finding) => finding.severity === "critical")
          .map((finding) => `critical Spark finding in ${item.name}: ${finding.title}`),
      );
    },

    /** Every finding of the run's analyses, for the run summary (`runs.addFindingsSource`). */
    async runFindings(runId: string): Promise<SparkRunFinding[]> {
      return (await store.list(runId)).flatMap((item) =>
        item.findings.map((finding) => ({
          source: "spark",
          subject: item.name,
          code: finding.code,
          severity: finding.severity,
          title: finding.title,
          advice: finding.advice,
        })),
      );
    },

    async list(runId: string): Promise<AnalysisListItem[]> {
      const run = await deps.runs.getRun(runId);
      return store.list(run.id);
    },

    get: view,
  };
}

export type SparkService = ReturnType<typeof createSparkService>;
