import { isUniqueViolation } from "../../db/connect.ts";
import type { Queryable } from "../../db/schema.ts";
import type { EnqueueOptions, Job, JobResult } from "../../jobs/jobs.types.ts";
import type { PageOf } from "../../shared/api.ts";
import { conflict, DomainError, invalid, notFound } from "../../shared/errors.ts";
import type { FlagChangeRequest, FlagChangeStatus } from "../../shared/flags/flags.api.ts";
import { newId } from "../../shared/ids.ts";
import { type Actor, atLeast, roleIn } from "../../shared/roles.ts";
import { groupsOf, progress } from "../approvals/approvals.policy.ts";
import type { ApprovalPolicy, Decision } from "../approvals/approvals.types.ts";
import type { EnvironmentRecord, ProjectRecord } from "../projects/projects.types.ts";
import type { ChangeDecisionRecord, ChangeRequestRecord } from "./flags.types.ts";
import type { FlagPatch, FlagSetWriter, FlagsDeps, StatePatch, WrittenVersion } from "./flags.versions.ts";
import * as store from "./flags-changes.store.ts";

export const FLAG_CHANGE_JOB = "flag.change.apply";
const MAX_AHEAD_MS = 366 * 86_400_000;

/** Who asks for a change: the name the audit shows and, for people, their user id (to refuse self-approval). */
export interface ChangeAuthor {
  name: string;
  id: string | null;
}

export interface ChangeInput {
  project: ProjectRecord;
  env: EnvironmentRecord;
  patches: FlagPatch[];
  action: string;
  reason: string | null;
  author: ChangeAuthor;
  scheduleAt?: string | undefined;
}

export interface FlagChangesDeps extends FlagsDeps {
  /** The durable job queue; scheduled changes are applied by a job at their time. */
  enqueue?: (tx: Queryable, job: EnqueueOptions) => Promise<string>;
}

/**
 * Changes that do not apply at once: scheduled for a time (`scheduleAt`), or waiting for approvals because the
 * environment's approval policy (the same `approval:` as deployments, evaluated with the approvals feature's policy
 * functions) asks for them. Turning a flag off is the kill switch and never waits for approval.
 */
export function createFlagChanges(deps: FlagChangesDeps, writer: FlagSetWriter) {
  const { db, clock } = deps;

  function needsApproval(env: EnvironmentRecord, action: string): ApprovalPolicy | null {
    if (action === "flag.disabled") return null;
    return env.spec.approval ?? null;
  }

  function parseScheduleAt(scheduleAt: string | undefined): string | null {
    if (scheduleAt === undefined) return null;
    const at = Date.parse(scheduleAt);
    const now = clock.now().getTime();
    if (Number.isNaN(at)) throw invalid(`scheduleAt "${scheduleAt}" is not a date-time`, { field: "scheduleAt" });
    if (at <= now) throw invalid(`scheduleAt ${scheduleAt} is in the past; leave it out to apply now`, { field: "scheduleAt" });
    if (at - now > MAX_AHEAD_MS) throw invalid("scheduleAt is more than a year ahead", { field: "scheduleAt" });
    return new Date(at).toISOString();
  }

  /**
   * Records the change as a request when it is scheduled or needs approval, and returns it; returns undefined when the
   * change should apply now, as before.
   */
  async function gate(input: ChangeInput): Promise<FlagChangeRequest | undefined> {
    const applyAt = parseScheduleAt(input.scheduleAt);
    const policy = needsApproval(input.env, input.action);
    if (applyAt === null && policy === null) return undefined;
    await writer.checkPatches(input.project, input.patches, input.author.name);
    const now = clock.now();
    const record: ChangeRequestRecord = {
      id: newId("fcr", now.getTime()),
      projectId: input.project.id,
      environmentId: input.env.id,
      action: input.action,
      patches: input.patches.map((p) => ({ flag: p.key, patch: p.patch as Record<string, unknown> })),
      reason: input.reason,
      author: input.author.name,
      authorId: input.author.id,
      status: policy ? "pending_approval" : "scheduled",
      applyAt,
      expiresAt: policy ? new Date(now.getTime() + policy.expiresAfterMs).toISOString() : null,
      policy,
      appliedVersion: null,
      error: null,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
    };
    await db.transaction().execute(async (tx) => {
      await store.insertRequest(tx, record);
      if (record.status === "scheduled") await enqueueApply(tx, record);
      await deps.audit.append(tx, {
        actor: input.author.name,
        action: policy ? "flag_change.requested" : "flag_change.scheduled",
        projectId: input.project.id,
        subject: { type: "flag_change", id: record.id },
        data: {
          environment: input.env.name,
          action: input.action,
          flags: record.patches.map((p) => p.flag),
          applyAt,
          reason: input.reason,
        },
      });
    });
    return present(record, input.env, []);
  }

  async function enqueueApply(tx: Queryable, record: ChangeRequestRecord): Promise<void> {
    if (!deps.enqueue) throw new Error("scheduled flag changes need the job queue (enqueue) wired into the flags feature");
    await deps.enqueue(tx, {
      type: FLAG_CHANGE_JOB,
      key: `flag-change:${record.id}`,
      payload: { changeId: record.id },
      ...(record.applyAt ? { runAt: new Date(record.applyAt) } : {}),
    });
  }

  function asDecisions(decisions: ChangeDecisionRecord[]): Decision[] {
    return decisions.map((d) => ({ ...d, deploymentId: d.changeId, releaseDigest: null }));
  }

  function present(r: ChangeRequestRecord, env: EnvironmentRecord, decisions: ChangeDecisionRecord[]): FlagChangeRequest {
    const expired = r.status === "pending_approval" && r.expiresAt !== null && clock.now().toISOString() >= r.expiresAt;
    return {
      id: r.id,
      environment: env.name,
      action: r.action,
      patches: r.patches as FlagChangeRequest["patches"],
      reason: r.reason,
      author: r.author,
      status: expired ? "expired" : r.status,
      applyAt: r.applyAt,
      expiresAt: r.expiresAt,
      appliedVersion: r.appliedVersion,
      error: r.error,
      createdAt: r.createdAt,
      updatedAt: r.updatedAt,
      approval: r.policy
        ? {
            groups: progress(r.policy, asDecisions(decisions)),
            decisions: decisions.map((d) => ({ user: d.user, decision: d.decision, comment: d.comment, at: d.at })),
          }
        : null,
    };
  }

  async function envById(project: ProjectRecord, environmentId: string): Promise<EnvironmentRecord> {
    const env = (await deps.projects.environments(project.id)).find((e) => e.id === environmentId);
    if (!env) throw notFound("environment_not_found", `Environment ${environmentId} no longer exists`);
    return env;
  }

  async function record(project: ProjectRecord, id: string): Promise<ChangeRequestRecord> {
    const found = await store.findRequest(db, id);
    if (!found || found.projectId !== project.id) {
      throw notFound("not_found", `Flag change ${id} does not exist in project "${project.slug}"`, { change: id });
    }
    return found;
  }

  async function get(project: ProjectRecord, id: string): Promise<FlagChangeRequest> {
    const r = await record(project, id);
    return present(r, await envById(project, r.environmentId), await store.listDecisions(db, [r.id]));
  }

  async function list(
    project: ProjectRecord,
    query: {
      limit: number;
      cursor?: string | undefined;
      status?: FlagChangeStatus | undefined;
      environment?: string | undefined;
    },
  ): Promise<PageOf<FlagChangeRequest>> {
    const envs = await deps.projects.environments(project.id);
    const env = query.environment === undefined ? undefined : await deps.projects.environment(project, query.environment);
    const rows = await store.listRequests(db, project.id, {
      limit: query.limit,
      ...(query.cursor ? { before: parseCursor(query.cursor) } : {}),
      ...(query.status ? { status: query.status } : {}),
      ...(env ? { environmentId: env.id } : {}),
    });
    const items = rows.slice(0, query.limit);
    const decisions = await store.listDecisions(
      db,
      items.map((r) => r.id),
    );
    const last = items.at(-1);
    return {
      items: items.map((r) =>
        present(
          r,
          envs.find((e) => e.id === r.environmentId) ?? ({ name: "?" } as EnvironmentRecord),
          decisions.filter((d) => d.changeId === r.id),
        ),
      ),
      nextCursor: rows.length > query.limit && last ? Buffer.from(`${last.createdAt}|${last.id}`).toString("base64url") : null,
    };
  }

  /** Applies a request inside `tx` if it is still in one of `from` (exactly once); returns the versions written. */
  async function applyIn(
    tx: Queryable,
    input: { project: ProjectRecord; env: EnvironmentRecord; r: ChangeRequestRecord; from: FlagChangeStatus[] },
  ): Promise<WrittenVersion[]> {
    const at = clock.now().toISOString();
    if (!(await store.transition(tx, input.r.id, { from: input.from, to: "applied", at }))) return [];
    const patches = input.r.patches.map((p) => ({ env: input.env, key: p.flag, patch: p.patch as StatePatch }));
    const { versions } = await writer.applyPatchesIn(tx, input.project, patches, {
      actor: input.r.author,
      reason: input.r.reason,
      action: input.r.action,
      data: { changeRequest: input.r.id },
    });
    const version = versions[0]?.version ?? null;
    await store.transition(tx, input.r.id, { from: ["applied"], to: "applied", at, appliedVersion: version });
    return versions;
  }

  /** Why `actor` may not decide on `r`, or null when they may (the same rules as deployment approvals). */
  function refusal(r: ChangeRequestRecord, policy: ApprovalPolicy, actor: Actor, env: EnvironmentRecord): DomainError | null {
    if (actor.kind !== "user") {
      return new DomainError("not_an_approver", "Approvals are made by people: sign in or use a personal token");
    }
    if (!atLeast(roleIn(actor, r.projectId), "approver")) {
      return new DomainError("forbidden", `Approving flag changes needs the approver role; ${actor.name} has another`);
    }
    if (!policy.allowSelfApproval && (r.author === actor.name || (r.authorId !== null && r.authorId === actor.id))) {
      return new DomainError("self_approval", `${actor.name} requested flag change ${r.id} and may not approve it`);
    }
    if (groupsOf(policy, actor, r.projectId).length === 0) {
      return new DomainError(
        "not_an_approver",
        `${actor.name} is in none of ${env.name}'s approval groups (${policy.groups.map((g) => g.name).join(", ")})`,
      );
    }
    return null;
  }

  async function decide(input: {
    project: ProjectRecord;
    id: string;
    actor: Actor;
    decision: "approve" | "reject";
    comment: string | null;
  }): Promise<FlagChangeRequest> {
    const first = await record(input.project, input.id);
    const env = await envById(input.project, first.environmentId);
    const policy = first.policy;
    if (!policy) throw conflict("invalid_state", `Flag change ${first.id} needs no approval (it is ${first.status})`);
    const refused = refusal(first, policy, input.actor, env);
    if (refused) throw refused;
    if (input.decision === "reject" && !input.comment?.trim()) throw invalid("A rejection needs a comment saying why");
    if (first.status === "pending_approval" && first.expiresAt !== null && clock.now().toISOString() >= first.expiresAt) {
      await expire(input.project, first);
      throw new DomainError("approval_expired", `The approval window of flag change ${first.id} closed at ${first.expiresAt}`);
    }
    try {
      await writer.transact(async (tx) => {
        // Lock, then read: of several people approving at once, exactly one sees the last required approval.
        const r = await store.findRequest(tx, first.id, deps.dialect === "postgres");
        if (r?.status !== "pending_approval") {
          throw conflict("invalid_state", `Flag change ${first.id} is ${r?.status ?? "gone"}; there is nothing to decide`);
        }
        const at = clock.now().toISOString();
        const groups = groupsOf(policy, input.actor, r.projectId);
        await store.insertDecision(tx, {
          changeId: r.id,
          userId: input.actor.id,
          user: input.actor.name,
          decision: input.decision,
          comment: input.comment,
          groups,
          at,
        });
        let outcome: FlagChangeStatus = "pending_approval";
        let versions: WrittenVersion[] = [];
        if (input.decision === "reject") {
          await store.transition(tx, r.id, { from: ["pending_approval"], to: "rejected", at });
          outcome = "rejected";
        } else if (progress(policy, asDecisions(await store.listDecisions(tx, [r.id]))).every((g) => g.satisfied)) {
          if (r.applyAt !== null && r.applyAt > at) {
            await store.transition(tx, r.id, { from: ["pending_approval"], to: "scheduled", at });
            await enqueueApply(tx, r);
            outcome = "scheduled";
          } else {
            versions = await applyIn(tx, { project: input.project, env, r, from: ["pending_approval"] });
            outcome = "applied";
          }
        }
        await deps.audit.append(tx, {
          actor: input.actor.name,
          action: input.decision === "reject" ? "flag_change.rejected" : "flag_change.approved",
          projectId: r.projectId,
          subject: { type: "flag_change", id: r.id },
          data: { environment: env.name, comment: input.comment, groups, outcome },
        });
        return { result: undefined, versions };
      });
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new DomainError("already_decided", `${input.actor.name} already decided on flag change ${first.id}`);
      }
      throw error;
    }
    return get(input.project, first.id);
  }

  async function expire(project: ProjectRecord, r: ChangeRequestRecord): Promise<void> {
    await db.transaction().execute(async (tx) => {
      const at = clock.now().toISOString();
      if (!(await store.transition(tx, r.id, { from: ["pending_approval"], to: "expired", at }))) return;
      await deps.audit.append(tx, {
        actor: "system",
        action: "flag_change.expired",
        projectId: project.id,
        subject: { type: "flag_change", id: r.id },
        data: { expiresAt: r.expiresAt },
      });
    });
  }

  async function cancel(project: ProjectRecord, id: string, actor: Actor): Promise<FlagChangeRequest> {
    const r = await record(project, id);
    if (r.author !== actor.name && !atLeast(roleIn(actor, project.id), "approver")) {
      throw new DomainError("forbidden", `Only ${r.author} (who asked for it) or an approver may cancel flag change ${id}`);
    }
    await db.transaction().execute(async (tx) => {
      const at = clock.now().toISOString();
      if (!(await store.transition(tx, r.id, { from: ["pending_approval", "scheduled"], to: "cancelled", at }))) {
        const now = await store.findRequest(tx, r.id);
        throw conflict("invalid_state", `Flag change ${id} is ${now?.status ?? "gone"} and can no longer be cancelled`);
      }
      await deps.audit.append(tx, {
        actor: actor.name,
        action: "flag_change.cancelled",
        projectId: project.id,
        subject: { type: "flag_change", id: r.id },
        data: { status: r.status },
      });
    });
    return get(project, id);
  }

  /**
   * The job that applies a scheduled change at its time. Any number of processes may run it for the same change: the
   * conditional `scheduled → applied` update inside the applying transaction lets exactly one of them write the version.
   */
  async function applyDue(job: Job): Promise<JobResult> {
    const { changeId } = job.payload as { changeId: string };
    const r = await store.findRequest(db, changeId);
    if (r?.status !== "scheduled") return { kind: "done" };
    const wait = r.applyAt === null ? 0 : Date.parse(r.applyAt) - clock.now().getTime();
    if (wait > 0) return { kind: "later", delayMs: wait };
    const project = await deps.projects.recordById(r.projectId);
    const env = await envById(project, r.environmentId);
    try {
      await writer.transact(async (tx) => ({
        result: undefined,
        versions: await applyIn(tx, { project, env, r, from: ["scheduled"] }),
      }));
    } catch (error) {
      // The flags changed since it was scheduled so that it no longer fits (a variant or flag gone): record why.
      if (!(error instanceof DomainError)) throw error;
      await db.transaction().execute(async (tx) => {
        const at = clock.now().toISOString();
        if (!(await store.transition(tx, r.id, { from: ["scheduled"], to: "failed", at, error: error.message }))) return;
        await deps.audit.append(tx, {
          actor: "system",
          action: "flag_change.failed",
          projectId: project.id,
          subject: { type: "flag_change", id: r.id },
          data: { environment: env.name, error: error.message },
        });
      });
    }
    return { kind: "done" };
  }

  return { gate, get, list, decide, cancel, applyDue };
}

function parseCursor(cursor: string): { createdAt: string; id: string } {
  const [createdAt, id] = Buffer.from(cursor, "base64url").toString("utf8").split("|");
  if (!createdAt || !id || Number.isNaN(Date.parse(createdAt))) {
    throw invalid("cursor is not one this server handed out; start again without it", { field: "cursor" });
  }
  return { createdAt, id };
}

export type FlagChanges = ReturnType<typeof createFlagChanges>;
