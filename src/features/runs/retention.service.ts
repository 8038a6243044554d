import type { Kysely } from "kysely";
import type { Logger } from "pino";
import { Value } from "typebox/value";
import type { DialectName } from "../../db/connect.ts";
import type { Database } from "../../db/schema.ts";
import type { Clock } from "../../shared/clock.ts";
import type { AuditRecorder } from "../audit/audit.recorder.ts";
import * as store from "./retention.store.ts";
import { type RetentionPolicy, RunsConfigSchema, retentionPolicy } from "./retention.types.ts";

const DAY_MS = 86_400_000;

export interface RetentionDeps {
  db: Kysely<Database>;
  dialect: DialectName;
  clock: Clock;
  logger: Logger;
  audit?: AuditRecorder;
  /** Server defaults (env), overridden per project by stagegate.yaml `runs.retention`. */
  defaults: RetentionPolicy;
  /** Rows per delete statement: the longest ingest ever waits is one such statement. */
  batchRows?: number;
  /** Pause between batches, so writers of other processes get SQLite's write lock in between. */
  pauseMs?: number;
}

export interface Purge {
  projectId: string;
  runId: string;
  reason: "age" | "bytes";
  logRecords: number;
  metricSamples: number;
  /** Estimated log bytes the run held. */
  bytes: number;
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Retention: a run's log records and metric samples are deleted `days` after the run ended (a run still marked running
 * once no node has reported for that long), and while a project's runs hold more than `bytes` of logs, oldest ended runs
 * first. Runs themselves, node counts, error groups and alerts stay: gates, comparisons and the audit trail refer to them.
 * Deletion goes in bounded batches, each its own short statement, so ingest never waits for more than one batch.
 */
export function createRetention(deps: RetentionDeps) {
  const { db, clock, logger } = deps;
  const batchRows = deps.batchRows ?? 5000;
  const pauseMs = deps.pauseMs ?? 5;

  async function drain(remove: () => Promise<number>): Promise<number> {
    let total = 0;
    for (;;) {
      const removed = await remove();
      total += removed;
      if (removed < batchRows) return total;
      await pause(pauseMs);
    }
  }

  async function purge(projectId: string, run: store.RetentionCandidate, reason: Purge["reason"]): Promise<Purge> {
    const logRecords = await drain(() => store.deleteLogBatch(db, run.id, batchRows));
    const metricSamples = await drain(() => store.deleteMetricBatch(db, deps.dialect, run.id, batchRows));
    const outcome: Purge = { projectId, runId: run.id, reason, logRecords, metricSamples, bytes: run.bytes };
    await db.transaction().execute(async (tx) => {
      // A running run can still receive records, so it is never marked done; it is looked at again next time.
      await store.markPurged(tx, run.id, run.status === "running" ? null : clock.now().toISOString());
      if (logRecords + metricSamples === 0) return;
      await deps.audit?.append(tx, {
        actor: "system",
        action: "run.records_purged",
        projectId,
        subject: { type: "run", id: run.id },
        data: { reason, logRecords, metricSamples, bytes: run.bytes },
      });
    });
    if (logRecords + metricSamples > 0) logger.info(outcome, "retention deleted a run's records");
    return outcome;
  }

  function expired(run: store.RetentionCandidate, cutoff: number): boolean {
    if (run.status !== "running") return run.purgedAt === null && run.endedAt !== null && Date.parse(run.endedAt) < cutoff;
    return Date.parse(run.createdAt) < cutoff && (run.lastSeenAt ?? 0) < cutoff;
  }

  /** Enforces one project's policy now. */
  async function sweepProject(projectId: string, policy: RetentionPolicy): Promise<Purge[]> {
    const runs = await store.runsWithBytes(db, projectId);
    const purges: Purge[] = [];
    const gone = new Set<string>();
    if (policy.days > 0) {
      const cutoff = clock.now().getTime() - policy.days * DAY_MS;
      for (const run of runs.filter((r) => expired(r, cutoff))) {
        purges.push(await purge(projectId, run, "age"));
        gone.add(run.id);
      }
    }
    if (policy.bytes > 0) {
      let total = runs.reduce((sum, r) => sum + (gone.has(r.id) ? 0 : r.bytes), 0);
      for (const run of runs) {
        if (total <= policy.bytes) break;
        if (run.status === "running" || gone.has(run.id) || run.bytes === 0) continue;
        purges.push(await purge(projectId, run, "bytes"));
        total -= run.bytes;
      }
    }
    return purges;
  }

  /** Every project with runs; a failure in one project is logged and does not stop the others. */
  async function sweep(): Promise<Purge[]> {
    const purges: Purge[] = [];
    for (const project of await store.projectsWithRuns(db)) {
      const configured = Value.Check(RunsConfigSchema, project.runsConfig) ? project.runsConfig : undefined;
      try {
        purges.push(...(await sweepProject(project.id, retentionPolicy(configured, deps.defaults))));
      } catch (error) {
        logger.error({ err: error, projectId: project.id }, "retention failed for a project");
      }
    }
    return purges;
  }

  return { sweep, sweepProject };
}

export type Retention = ReturnType<typeof createRetention>;
