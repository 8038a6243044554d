import { randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import { isUniqueViolation } from "../../db/connect.ts";
import type { Database } from "../../db/schema.ts";
import { serverSecret } from "../../db/server-secrets.ts";
import type { PageOf } from "../../shared/api.ts";
import type { Clock } from "../../shared/clock.ts";
import { DomainError, notFound } from "../../shared/errors.ts";
import { hmacSha256Hex, newSecret, sha256Hex } from "../../shared/hashing.ts";
import { newId } from "../../shared/ids.ts";
import { type Cursor, toPage } from "../../shared/pagination.ts";
import type { AuditRecorder } from "../audit/audit.recorder.ts";
import type { ProjectsService } from "../projects/projects.service.ts";
import type { ProjectRecord } from "../projects/projects.types.ts";
import type { ReleasesService } from "../releases/releases.service.ts";
import * as store from "./runs.store.ts";
import type { CreatedRun, CreateRunInput, Run, RunRecord, RunStatus } from "./runs.types.ts";

/** What a deployment hands over when it starts running or ends (a subset of DeploymentRecord). */
export interface DeploymentForRun {
  id: string;
  projectId: string;
  releaseId: string;
  releaseVersion: string;
  environmentName: string;
  createdBy: string | null;
}

/** The 404 for a run that does not exist, and (word for word) for one the caller may not know of. */
export function runNotFound(id: string): DomainError {
  return notFound("run_not_found", `Run ${id} does not exist`, { run: id });
}

/** A deployment's run and the token its steps' jobs send logs and metrics with. */
export interface DeploymentRun {
  run: RunRecord;
  ingestToken: string;
}

export type RunEndedListener = (run: RunRecord) => Promise<void>;

export interface RunsDeps {
  db: Kysely<Database>;
  clock: Clock;
  projects: Pick<ProjectsService, "record" | "recordById" | "environment">;
  releases: Pick<ReleasesService, "record" | "recordById">;
  audit?: AuditRecorder;
}

const DEPLOYMENT_STATUS_TO_RUN: Record<string, RunStatus> = {
  succeeded: "succeeded",
  failed: "failed",
  errored: "unknown",
  cancelled: "unknown",
};

/** Runs: create (by any job or by a deployment), read, end. Other features (Spark) attach data to `getRun(id)`. */
export function createRunsService(deps: RunsDeps) {
  const { db, clock } = deps;
  const endedListeners: RunEndedListener[] = [];
  const createdListeners: RunEndedListener[] = [];
  let tokenKey: Promise<string> | undefined;

  /**
   * A deployment run's ingest token, derived from its id with a server secret: every step (also one resumed after a
   * restart, on any replica) hands its job the same token, and only its hash is stored, as for any run.
   */
  async function deploymentToken(runId: string): Promise<string> {
    tokenKey ??= serverSecret(
      db,
      "deployment_run_tokens",
      randomBytes(32).toString("base64url"),
      clock.now().toISOString(),
    ).catch((error: unknown) => {
      tokenKey = undefined; // read it again next time
      throw error;
    });
    return `sgr_${hmacSha256Hex(await tokenKey, runId)}`;
  }

  function present(run: RunRecord, slug: string): Run {
    const end = run.endedAt ? Date.parse(run.endedAt) : clock.now().getTime();
    return {
      id: run.id,
      project: slug,
      name: run.name,
      environment: run.environment,
      releaseVersion: run.releaseVersion,
      commitSha: run.commitSha,
      deploymentId: run.deploymentId,
      externalId: run.externalId,
      attributes: run.attributes,
      status: run.status,
      createdBy: run.createdBy,
      createdAt: run.createdAt,
      endedAt: run.endedAt,
      durationMs: Math.max(0, end - Date.parse(run.createdAt)),
      purgedAt: run.purgedAt ?? null,
    };
  }

  async function getRun(id: string): Promise<RunRecord> {
    const run = await store.findRun(db, id);
    if (!run) throw runNotFound(id);
    return run;
  }

  async function insert(
    fields: Omit<RunRecord, "id" | "status" | "createdAt" | "endedAt">,
    tokenOf: (runId: string) => Promise<string> = async () => newSecret("sgr"),
  ) {
    const now = clock.now();
    const run: RunRecord = {
      ...fields,
      id: newId("run", now.getTime()),
      status: "running",
      createdAt: now.toISOString(),
      endedAt: null,
    };
    const token = await tokenOf(run.id);
    await store.insertRun(db, run, sha256Hex(token));
    for (const listener of createdListeners) await listener(run);
    return { run, token };
  }

  async function create(project: ProjectRecord, input: CreateRunInput, actor: string | null): Promise<CreatedRun> {
    // A typo would keep the run out of the `run_healthy` gate and the comparisons, silently.
    if (input.environment !== undefined) await deps.projects.environment(project, input.environment);
    const release = input.releaseVersion ? await deps.releases.record(project, input.releaseVersion) : undefined;
    const { run, token } = await insert({
      projectId: project.id,
      name: input.name,
      environment: input.environment ?? null,
      releaseVersion: input.releaseVersion ?? null,
      commitSha: release?.commitSha ?? null,
      deploymentId: null,
      externalId: input.externalId ?? null,
      attributes: input.attributes ?? {},
      createdBy: actor,
    });
    return { ...present(run, project.slug), ingestToken: token };
  }

  async function notifyEnded(id: string): Promise<void> {
    const run = await getRun(id);
    for (const listener of endedListeners) await listener(run);
  }

  /** Ends a running run (once) and records who ended it: a person, an API token, or the run's own token (`run:<id>`). */
  async function end(id: string, status: RunStatus, actor: string | null): Promise<RunRecord> {
    const run = await getRun(id);
    if (run.status !== "running") {
      throw new DomainError("invalid_state", `Run ${id} already ended (${run.status}); a run ends once`, {
        details: { status: run.status },
      });
    }
    const ended = await db.transaction().execute(async (tx) => {
      if (!(await store.endRun(tx, id, status, clock.now().toISOString()))) return false;
      await deps.audit?.append(tx, {
        actor: actor ?? "unknown",
        action: "run.ended",
        projectId: run.projectId,
        subject: { type: "run", id },
        data: { status, name: run.name, environment: run.environment },
      });
      return true;
    });
    if (ended) await notifyEnded(id);
    return getRun(id);
  }

  /** Idempotent: the deployment's run, created the first time the deployment is seen running, and its ingest token. */
  async function deploymentRunning(d: DeploymentForRun): Promise<DeploymentRun> {
    const withToken = async (run: RunRecord) => {
      const ingestToken = await deploymentToken(run.id);
      // A deployment run made before its token was derived (random, never handed out) holds another hash: align it.
      await store.setTokenHash(db, run.id, sha256Hex(ingestToken));
      return { run, ingestToken };
    };
    const existing = await store.findRunByDeployment(db, d.id);
    if (existing) return withToken(existing);
    const release = await deps.releases.recordById(d.releaseId);
    try {
      const made = await insert(
        {
          projectId: d.projectId,
          name: `deploy:${d.environmentName}`,
          environment: d.environmentName,
          releaseVersion: d.releaseVersion,
          commitSha: release.commitSha,
          deploymentId: d.id,
          externalId: null,
          attributes: {},
          createdBy: d.createdBy,
        },
        deploymentToken,
      );
      return { run: made.run, ingestToken: made.token };
    } catch (error) {
      // Another replica made it between our read and insert.
      if (!isUniqueViolation(error)) throw error;
      const made = await store.findRunByDeployment(db, d.id);
      if (!made) throw error;
      return withToken(made);
    }
  }

  /** A deployment ended: its run ends with the matching status (once). */
  async function deploymentEnded(deploymentId: string, deploymentStatus: string): Promise<void> {
    const run = await store.findRunByDeployment(db, deploymentId);
    if (run?.status !== "running") return;
    const status = DEPLOYMENT_STATUS_TO_RUN[deploymentStatus] ?? "unknown";
    if (await store.endRun(db, run.id, status, clock.now().toISOString())) await notifyEnded(run.id);
  }

  return {
    getRun,
    create,
    end,
    deploymentRunning,
    deploymentEnded,
    /** The run a run-scoped ingest token belongs to, or undefined. */
    async runForToken(token: string): Promise<RunRecord | undefined> {
      return store.findRunByTokenHash(db, sha256Hex(token));
    },
    async runOfDeployment(deploymentId: string): Promise<RunRecord | undefined> {
      return store.findRunByDeployment(db, deploymentId);
    },
    async present(run: RunRecord): Promise<Run> {
      return present(run, (await deps.projects.recordById(run.projectId)).slug);
    },
    async list(
      project: ProjectRecord,
      filter: { name?: string; environment?: string; status?: RunStatus; commitSha?: string },
      page: { limit: number; cursor: Cursor | undefined },
    ): Promise<PageOf<Run>> {
      const rows = await store.listRuns(db, { projectId: project.id, ...filter }, page);
      const result = toPage(rows, page.limit, (r) => ({ at: r.createdAt, id: r.id }));
      return { items: result.items.map((r) => present(r, project.slug)), nextCursor: result.nextCursor };
    },
    previousRun: (run: RunRecord) => store.previousRun(db, run),
    /** Runs of one commit, newest first (optionally in one environment). */
    async ofCommit(projectId: string, commitSha: string, environment?: string): Promise<RunRecord[]> {
      return store.listRuns(
        db,
        { projectId, commitSha, ...(environment ? { environment } : {}) },
        { limit: 200, cursor: undefined },
      );
    },
    runsOfRelease: (projectId: string, version: string) => store.runsOfRelease(db, projectId, version),
    /** Called after a run ends (alerts evaluate a last time, for example). */
    onEnded(listener: RunEndedListener): void {
      endedListeners.push(listener);
    },
    /** Called after a run is created (the alert watch job starts). */
    onCreated(listener: RunEndedListener): void {
      createdListeners.push(listener);
    },
  };
}

export type RunsService = ReturnType<typeof createRunsService>;
/** The name the Spark feature (and others) import: the read side of runs. */
export type RunsStore = Pick<RunsService, "getRun" | "runOfDeployment" | "runForToken">;
