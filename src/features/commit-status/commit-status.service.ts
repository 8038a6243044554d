import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { Database, Queryable } from "../../db/schema.ts";
import type { EnqueueOptions } from "../../jobs/jobs.types.ts";
import type { Clock } from "../../shared/clock.ts";
import { newId } from "../../shared/ids.ts";
import type { ReportRun, ReportSummary } from "../../shared/reports.api.ts";
import * as store from "./commit-status.store.ts";
import {
  type CommitState,
  type CommitStatusConfig,
  DELIVER_JOB,
  type DeliverPayload,
  type DeliveryRecord,
} from "./commit-status.types.ts";
import { GITHUB_DESCRIPTION_MAX } from "./github.client.ts";
import { truncate } from "./provider.http.ts";

export interface CommitStatusDeps {
  db: Kysely<Database>;
  clock: Clock;
  logger: Logger;
  enqueue: (tx: Queryable, options: EnqueueOptions) => Promise<string>;
  /** Origin the API is reached at from outside, without a trailing slash; links in statuses point there. */
  publicUrl: string;
  /** The project's `commitStatus:` config, or null when it posts none. Called again at every delivery attempt. */
  configFor: (projectId: string) => Promise<CommitStatusConfig | null>;
  /** Finds the project id when the completed run only names its project by slug (`ReportRun.project`). */
  projectIdOf?: (slug: string) => Promise<string>;
}

/** A completed run as the reports feature hands it over; `comparison` (from the run detail) adds the coverage delta. */
export type CompletedRun = ReportRun & {
  projectId?: string;
  comparison?: { coverageDelta: number | null } | null;
};

/** One decimal, rounded down so 99.96% never reads as 100%; no trailing ".0". */
function percent(value: number): string {
  return String(Math.floor(value * 10 + 1e-9) / 10);
}

function signed(delta: number): string | undefined {
  // Symmetric rounding: -1.25 reads -1.3, like +1.25 reads +1.3.
  const rounded = (Math.sign(delta) * Math.round(Math.abs(delta) * 10)) / 10;
  if (rounded === 0) return undefined;
  return rounded > 0 ? `+${rounded}` : String(rounded);
}

function testsPart(tests: ReportSummary["tests"]): string {
  if (tests.total === 0) return "no tests";
  const counts: [number, string][] = [
    [tests.failed, "failed"],
    [tests.errored, "errored"],
    [tests.flaky, "flaky"],
    [tests.skipped, "skipped"],
  ];
  return [`${tests.passed} passed`, ...counts.filter(([n]) => n > 0).map(([n, word]) => `${n} ${word}`)].join(", ");
}

/**
 * The one-line summary a commit status shows, e.g. "212 passed, 3 failed, 2 flaky · lines 84.2% (+0.4) · patch 91%".
 * Cut to GitHub's 140 characters.
 */
export function describeSummary(summary: ReportSummary, coverageDelta: number | null = null): string {
  const parts = [testsPart(summary.tests)];
  const lines = summary.coverage?.lines.pct;
  if (lines !== null && lines !== undefined) {
    const delta = coverageDelta === null ? undefined : signed(coverageDelta);
    parts.push(`lines ${percent(lines)}%${delta ? ` (${delta})` : ""}`);
  }
  const patch = summary.patchCoverage?.pct;
  if (patch !== null && patch !== undefined) parts.push(`patch ${percent(patch)}%`);
  return truncate(parts.join(" · "), GITHUB_DESCRIPTION_MAX);
}

/** Red when any test failed or errored; `error` when the run has no results to judge. */
export function statusFor(run: CompletedRun): { state: CommitState; description: string } {
  if (!run.summary) return { state: "error", description: "No results: the run completed without a summary" };
  const { tests } = run.summary;
  const state: CommitState = tests.failed + tests.errored > 0 ? "failure" : "success";
  return { state, description: describeSummary(run.summary, run.comparison?.coverageDelta ?? null) };
}

export function createCommitStatusService(deps: CommitStatusDeps) {
  const { db, clock, logger } = deps;
  const publicUrl = deps.publicUrl.replace(/\/+$/, "");

  async function projectIdOf(run: CompletedRun): Promise<string | undefined> {
    if (run.projectId) return run.projectId;
    return deps.projectIdOf ? deps.projectIdOf(run.project) : undefined;
  }

  async function queue(run: CompletedRun): Promise<void> {
    if (run.status !== "complete") {
      logger.warn({ run: run.id, status: run.status }, "commit status skipped: the run is not complete");
      return;
    }
    const projectId = await projectIdOf(run);
    if (!projectId) {
      logger.error({ run: run.id, project: run.project }, "commit status skipped: the run carries no projectId");
      return;
    }
    const config = await deps.configFor(projectId);
    if (!config) return;
    const { state, description } = statusFor(run);
    const coverage = run.summary?.coverage?.lines.pct;
    const at = clock.now();
    const delivery: DeliveryRecord = {
      id: newId("csd", at.getTime()),
      projectId,
      runId: run.id,
      provider: config.provider,
      sha: run.commitSha,
      state,
      status: "pending",
      attempts: 0,
      lastError: null,
      createdAt: at.toISOString(),
      updatedAt: at.toISOString(),
    };
    const payload: DeliverPayload = {
      deliveryId: delivery.id,
      projectId,
      runId: run.id,
      kind: run.kind,
      sha: run.commitSha,
      ref: run.branch,
      state,
      description,
      targetUrl: `${publicUrl}/api/v1/report-runs/${encodeURIComponent(run.id)}`,
      ...(typeof coverage === "number" ? { coverage } : {}),
    };
    // The row and the job commit together: a delivery is never recorded without a job to carry it, nor the reverse.
    await db.transaction().execute(async (tx) => {
      await store.insertDelivery(tx, delivery);
      await deps.enqueue(tx, { type: DELIVER_JOB, key: `commit_status:${run.id}`, payload });
    });
  }

  return {
    /**
     * Queues the commit status of a completed run. Returns once the job is stored; never throws, so a dead GitHub (or
     * a database hiccup here) cannot fail the upload that completed the run.
     */
    async onRunCompleted(run: CompletedRun): Promise<void> {
      try {
        await queue(run);
      } catch (error) {
        logger.error({ err: error, run: run.id }, "could not queue the commit status of a completed report run");
      }
    },

    deliveries(runId: string): Promise<DeliveryRecord[]> {
      return store.listRunDeliveries(db, runId);
    },
  };
}

export type CommitStatusService = ReturnType<typeof createCommitStatusService>;
