import type { Kysely } from "kysely";
import { isUniqueViolation } from "../../db/connect.ts";
import type { Database, Queryable } from "../../db/schema.ts";
import type { EnqueueOptions } from "../../jobs/jobs.types.ts";
import type { CallbackBody, Deployment } from "../../shared/api.ts";
import type { Clock } from "../../shared/clock.ts";
import { conflict, DomainError, notFound } from "../../shared/errors.ts";
import { safeEqual, sha256Hex } from "../../shared/hashing.ts";
import { newId } from "../../shared/ids.ts";
import type { ApprovalPolicy } from "../approvals/approvals.types.ts";
import { activeFreeze } from "../approvals/freeze.ts";
import type { AuditRecorder } from "../audit/audit.recorder.ts";
import type { GatesService } from "../gates/gates.service.ts";
import type { GateEvaluation } from "../gates/gates.types.ts";
import type { DeploymentEvents } from "../notifications/deployment.events.ts";
import type { ProjectsService } from "../projects/projects.service.ts";
import type { EnvironmentRecord, ProjectRecord } from "../projects/projects.types.ts";
import type { ReleasesService } from "../releases/releases.service.ts";
import type { ReleaseRecord } from "../releases/releases.types.ts";
import { checkGates } from "./deployment.gates.ts";
import { isTerminal, TRANSITIONS } from "./deployment.state.ts";
import { DeploymentLogSink } from "./deployment-log.sink.ts";
import { prepareCreationNotice } from "./deployment-notice.ts";
import { presentDeployment } from "./deployments.present.ts";
import * as store from "./deployments.store.ts";
import {
  DEPLOYMENT_JOB,
  type DeploymentKind,
  type DeploymentRecord,
  type DeploymentRunHooks,
  deploymentJobKey,
} from "./deployments.types.ts";

export interface DeploymentsDeps {
  db: Kysely<Database>;
  clock: Clock;
  projects: ProjectsService;
  releases: ReleasesService;
  enqueue: (tx: Queryable, job: EnqueueOptions) => Promise<string>;
  poke: (tx: Queryable, key: string) => Promise<void>;
  logLimits: { headBytes: number; tailBytes: number };
  gates: Pick<GatesService, "evaluate" | "record">;
  /** The database can lock rows (`SELECT … FOR UPDATE`): PostgreSQL. */
  rowLocks: boolean;
  audit?: AuditRecorder;
  events?: Pick<DeploymentEvents, "prepare" | "deliver"> & Partial<Pick<DeploymentEvents, "gateFailed">>;
  runs?: Pick<DeploymentRunHooks, "runOf">;
}

export interface PromoteResult {
  deployment: Deployment;
  created: boolean;
}

export interface DeploymentHooks {
  /** A deployment now waits for approval: schedule its expiry, notify approvers (in the creating transaction). */
  awaitingApproval?: (tx: Queryable, input: { deploymentId: string; policy: ApprovalPolicy; at: Date }) => Promise<void>;
}

export function createDeploymentsService(deps: DeploymentsDeps) {
  const { db, clock, projects, releases } = deps;
  // Set at wiring time: the approvals feature depends on this service, so it cannot be a constructor argument.
  const hooks: DeploymentHooks = {};

  async function record(id: string): Promise<DeploymentRecord> {
    const found = await store.findDeployment(db, id);
    if (!found) throw notFound("deployment_not_found", `Deployment ${id} does not exist`, { id });
    return found;
  }

  async function checkLifecycle(project: ProjectRecord, env: EnvironmentRecord, release: ReleaseRecord): Promise<void> {
    if (env.requires === null) return;
    const required = await projects.environment(project, env.requires);
    if (await store.hasSucceeded(db, required.id, release.id)) return;
    throw conflict(
      "lifecycle_violation",
      `Release ${release.version} has not succeeded in ${env.requires} yet, which ${env.name} requires; promote it to ${env.requires} first`,
      { environment: env.name, requires: env.requires, version: release.version },
    );
  }

  /** Creates the queued deployment, superseding waiting ones; concurrent calls for the same release collapse to one. */
  async function enqueueDeployment(input: {
    project: ProjectRecord;
    env: EnvironmentRecord;
    release: ReleaseRecord;
    kind: DeploymentKind;
    actor: string | null;
    gates?: { evaluation: GateEvaluation; override: { by: string; reason: string } | null };
    freezeOverride?: { by: string; reason: string; window: string; liftsAt: string };
  }): Promise<PromoteResult> {
    const { project, env, release } = input;
    const at = clock.now();
    const id = newId("dep", at.getTime());
    const policy = input.kind === "deploy" ? env.spec.approval : undefined;
    const prepared = await prepareCreationNotice({ db, events: deps.events }, { id, input, policy, at });
    // Loud on purpose: an emergency deploy during a freeze is announced on every channel that listens for it.
    const freezeNotice = input.freezeOverride
      ? await deps.events
          ?.prepare(
            "freeze_override",
            {
              id,
              projectId: project.id,
              releaseId: release.id,
              environmentName: env.name,
              kind: input.kind,
              reason: input.freezeOverride.reason,
              status: "queued",
            },
            { actor: input.actor },
          )
          .catch(() => undefined)
      : undefined;
    let created: DeploymentRecord | undefined;
    try {
      const existing = await db.transaction().execute(async (tx) => {
        // Checked again inside the transaction, in this order: a deployment that ends between the two reads is
        // seen by the second, since it leaves "open" and becomes "current" in one commit.
        const open = await store.findOpenDeployment(tx, env.id, release.id);
        if (open) return open;
        const [current] = await store.listSucceeded(tx, env.id, 1);
        if (input.kind === "deploy" && current?.releaseId === release.id) return current;
        const superseded = await store.supersedeQueued(tx, {
          environmentId: env.id,
          releaseId: release.id,
          reason: `superseded by ${release.version}`,
          at: at.toISOString(),
        });
        // Rollbacks restore what ran before and skip approval; deploys to an environment with a policy wait for it.
        created = await store.insertDeployment(tx, {
          id,
          projectId: project.id,
          projectSlug: project.slug,
          environmentId: env.id,
          environmentName: env.name,
          environmentSpec: env.spec,
          releaseId: release.id,
          releaseVersion: release.version,
          kind: input.kind,
          status: policy ? "pending_approval" : "queued",
          createdBy: input.actor,
          createdAt: at.toISOString(),
        });
        await deps.audit?.append(tx, {
          actor: input.actor ?? "system",
          action: input.kind === "rollback" ? "deployment.rollback_requested" : "deployment.promoted",
          projectId: project.id,
          subject: { type: "deployment", id },
          data: {
            environment: env.name,
            release: release.version,
            status: policy ? "pending_approval" : "queued",
            superseded,
            ...(input.gates
              ? { gates: input.gates.evaluation.results.map((g) => ({ type: g.type, passed: g.passed, actual: g.actual })) }
              : {}),
            ...(input.gates?.override ? { gateOverride: input.gates.override } : {}),
          },
        });
        await deps.events?.deliver(tx, prepared);
        await deps.events?.deliver(tx, freezeNotice);
        if (input.freezeOverride) {
          await deps.audit?.append(tx, {
            actor: input.freezeOverride.by,
            action: "freeze.overridden",
            projectId: project.id,
            subject: { type: "deployment", id },
            data: {
              environment: env.name,
              release: release.version,
              window: input.freezeOverride.window,
              liftsAt: input.freezeOverride.liftsAt,
              reason: input.freezeOverride.reason,
            },
          });
        }
        if (policy) await hooks.awaitingApproval?.(tx, { deploymentId: id, policy, at });
        else await deps.enqueue(tx, { type: DEPLOYMENT_JOB, key: deploymentJobKey(id), payload: { deploymentId: id } });
        if (input.gates) {
          await deps.gates.record(tx, {
            deploymentId: id,
            projectId: project.id,
            environment: env.name,
            releaseId: release.id,
            ...input.gates,
          });
        }
        for (const old of superseded) await deps.poke(tx, deploymentJobKey(old));
        return undefined;
      });
      if (existing) return { deployment: presentDeployment(existing), created: false };
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      const open = await store.findOpenDeployment(db, env.id, release.id);
      if (!open) throw error;
      return { deployment: presentDeployment(open), created: false };
    }
    return { deployment: presentDeployment(created ?? (await record(id))), created: true };
  }

  async function promote(input: {
    slug: string;
    version: string;
    environment: string;
    actor: string | null;
    override?: { reason: string };
    /** Whether this caller may override failing gates in the project (admins only). */
    mayOverride?: (projectId: string) => boolean;
  }): Promise<PromoteResult> {
    const project = await projects.record(input.slug);
    const env = await projects.environment(project, input.environment);
    const release = await releases.record(project, input.version);
    const open = await store.findOpenDeployment(db, env.id, release.id);
    if (open) return { deployment: presentDeployment(open), created: false };
    const [current] = await store.listSucceeded(db, env.id, 1);
    if (current && current.releaseId === release.id) return { deployment: presentDeployment(current), created: false };
    await checkLifecycle(project, env, release);
    if (input.override && !input.mayOverride?.(project.id)) {
      throw new DomainError("forbidden", `Overriding gates or a freeze in ${project.slug} needs the admin role`);
    }
    const override = input.override ? { by: input.actor ?? "unknown", reason: input.override.reason } : null;
    const freeze = env.spec.approval?.freezeWindows ? activeFreeze(env.spec.approval.freezeWindows, clock.now()) : null;
    if (freeze && !override) {
      throw new DomainError(
        "frozen",
        `${env.name} is frozen (${freeze.reason}) until ${freeze.liftsAt}; promote after that, or an admin overrides with a reason`,
        {
          details: { environment: env.name, reason: freeze.reason, startedAt: freeze.startedAt, liftsAt: freeze.liftsAt },
        },
      );
    }
    const gates = await checkGates(deps, { project, env, release, override, actor: input.actor });
    return enqueueDeployment({
      project,
      env,
      release,
      kind: "deploy",
      actor: input.actor,
      ...(gates ? { gates } : {}),
      ...(freeze && override ? { freezeOverride: { ...override, window: freeze.reason, liftsAt: freeze.liftsAt } } : {}),
    });
  }

  async function rollback(input: { slug: string; environment: string; actor: string | null }): Promise<PromoteResult> {
    const project = await projects.record(input.slug);
    const env = await projects.environment(project, input.environment);
    const history = await store.listSucceeded(db, env.id, 100);
    const current = history[0];
    const previous = history.find((d) => d.releaseId !== current?.releaseId);
    if (!current || !previous) {
      throw conflict("nothing_to_roll_back", `${env.name} has no earlier successful release to roll back to`, {
        environment: env.name,
      });
    }
    const release = await releases.recordById(previous.releaseId);
    return enqueueDeployment({ project, env, release, kind: "rollback", actor: input.actor });
  }

  /** After a failed deploy: redeploy the environment's last good release (kind `rollback`, no gates or approval). */
  async function rollbackAfterFailure(failed: DeploymentRecord): Promise<string | undefined> {
    const [last] = await store.listSucceeded(db, failed.environmentId, 1);
    if (!last || last.releaseId === failed.releaseId) {
      return `no earlier successful release in ${failed.environmentName} to roll back to`;
    }
    const project = await projects.recordById(failed.projectId);
    const env = await projects.environment(project, failed.environmentName);
    const release = await releases.recordById(last.releaseId);
    const queued = await enqueueDeployment({ project, env, release, kind: "rollback", actor: "system" });
    return `rolling back ${env.name} to ${release.version} (deployment ${queued.deployment.id}), as its policy says`;
  }

  async function cancel(id: string, actor?: string | null): Promise<Deployment> {
    const d = await record(id);
    if (isTerminal(d.status))
      throw conflict("invalid_state", `Deployment ${id} already ended (${d.status}); nothing to cancel`, { status: d.status });
    const at = clock.now().toISOString();
    const waiting = TRANSITIONS.supersede.from;
    await db.transaction().execute(async (tx) => {
      // Waiting deployments end at once; a running one is stopped by its runner, which also cancels the target.
      const ended = await store.updateDeployment(tx, id, {
        from: waiting,
        set: { status: "cancelled", reason: "cancelled on request before it started", finished_at: at },
        at,
      });
      if (!ended) await store.updateDeployment(tx, id, { from: ["running"], set: { cancel_requested: 1 }, at });
      await deps.audit?.append(tx, {
        actor: actor ?? "system",
        action: "deployment.cancel_requested",
        projectId: d.projectId,
        subject: { type: "deployment", id },
        data: { status: d.status },
      });
      await deps.poke(tx, deploymentJobKey(id));
    });
    return presentDeployment(await record(id));
  }

  async function callback(id: string, token: string | undefined, body: CallbackBody): Promise<Deployment> {
    const d = await record(id);
    if (!token || !d.callbackTokenHash || !safeEqual(sha256Hex(token), d.callbackTokenHash)) {
      throw new DomainError("unauthorized", "The callback token is not valid for this deployment");
    }
    if (d.status !== "running" || d.stepState === null) {
      throw conflict("invalid_state", `Deployment ${id} is ${d.status} and not waiting for a callback`, { status: d.status });
    }
    const at = clock.now().toISOString();
    if (body.log) {
      const sink = await DeploymentLogSink.open({ db, clock, deploymentId: id, ...deps.logLimits });
      for (const line of body.log.split(/\r?\n/)) if (line !== "") sink.write("stdout", line);
      await sink.flush();
    }
    const saved = await db.transaction().execute(async (tx) => {
      const ok = await store.saveCallbackResult(
        tx,
        id,
        { status: body.status, ...(body.message ? { message: body.message } : {}) },
        at,
      );
      if (ok) await deps.poke(tx, deploymentJobKey(id));
      return ok;
    });
    if (!saved) throw conflict("invalid_state", `Deployment ${id} already received its callback`);
    return presentDeployment(await record(id));
  }

  /** Approval complete: pending_approval → queued (once, however many approve at the same moment), deploy after `delayMs`. */
  async function releaseApproved(tx: Queryable, id: string, delayMs: number): Promise<boolean> {
    const at = clock.now();
    const moved = await store.updateDeployment(tx, id, {
      from: TRANSITIONS.approve.from,
      set: { status: TRANSITIONS.approve.to },
      at: at.toISOString(),
    });
    if (moved)
      await deps.enqueue(tx, {
        type: DEPLOYMENT_JOB,
        key: deploymentJobKey(id),
        payload: { deploymentId: id },
        runAt: new Date(at.getTime() + delayMs),
      });
    return moved;
  }

  /** Ends a deployment waiting for approval: rejected (with the comment) or expired. */
  async function endApproval(tx: Queryable, id: string, event: "reject" | "expire", reason: string): Promise<boolean> {
    const at = clock.now().toISOString();
    return store.updateDeployment(tx, id, {
      from: TRANSITIONS[event].from,
      set: { status: TRANSITIONS[event].to, reason, finished_at: at },
      at,
    });
  }

  return {
    hooks,
    releaseApproved,
    endApproval,
    lockDeployment: (tx: Queryable, id: string) => store.lockDeployment(tx, id, deps.rowLocks),
    /** Reads inside the caller's transaction (SQLite has one connection: reading outside would wait for it). */
    async recordIn(tx: Queryable, id: string): Promise<DeploymentRecord> {
      const found = await store.findDeployment(tx, id);
      if (!found) throw notFound("deployment_not_found", `Deployment ${id} does not exist`, { id });
      return found;
    },
    pendingApproval: (projectIds: string[] | null, limit: number) => store.listPendingApproval(db, projectIds, limit),
    record,
    /** The deployment's project id, or undefined when there is no such deployment. */
    projectIdOf: (id: string) => store.findDeploymentProjectId(db, id),
    promote,
    rollback,
    rollbackAfterFailure,
    cancel,
    callback,
    get: async (id: string): Promise<Deployment> => {
      const deployment = presentDeployment(await record(id));
      return deps.runs ? { ...deployment, runId: (await deps.runs.runOf(id)) ?? null } : deployment;
    },
    /** Used by auto-deploy: promote without a person, skipping environments whose requirement is not met yet. */
    enqueueDeployment,
    checkLifecycle,
  };
}

export type DeploymentsService = ReturnType<typeof createDeploymentsService>;
