import type { Kysely } from "kysely";
import { isUniqueViolation } from "../../db/connect.ts";
import type { Database, Queryable } from "../../db/schema.ts";
import type { EnqueueOptions, Job, JobResult } from "../../jobs/jobs.types.ts";
import type { Deployment } from "../../shared/api.ts";
import type { Clock } from "../../shared/clock.ts";
import { formatDuration } from "../../shared/duration.ts";
import { conflict, DomainError } from "../../shared/errors.ts";
import { newId } from "../../shared/ids.ts";
import { type Actor, atLeast, roleIn } from "../../shared/roles.ts";
import type { AuditRecorder } from "../audit/audit.recorder.ts";
import type { DeploymentsService } from "../deployments/deployments.service.ts";
import type { DeploymentRecord } from "../deployments/deployments.types.ts";
import type { DeploymentEvents } from "../notifications/deployment.events.ts";
import type { ReleasesService } from "../releases/releases.service.ts";
import { type GroupProgress, groupsOf, progress } from "./approvals.policy.ts";
import * as store from "./approvals.store.ts";
import { APPROVAL_EXPIRY_JOB, type ApprovalPolicy, type Decision } from "./approvals.types.ts";

export interface ApprovalState {
  deploymentId: string;
  status: Deployment["status"];
  groups: GroupProgress[];
  decisions: { user: string; decision: "approve" | "reject"; comment: string | null; at: string }[];
  expiresAt: string | null;
  waitTimerMs: number;
}

export function createApprovalsService(deps: {
  db: Kysely<Database>;
  clock: Clock;
  deployments: DeploymentsService;
  releases: ReleasesService;
  enqueue: (tx: Queryable, job: EnqueueOptions) => Promise<string>;
  audit?: AuditRecorder;
  events?: Pick<DeploymentEvents, "prepare" | "deliver">;
}) {
  const { db, clock, deployments } = deps;

  function policyOf(d: DeploymentRecord): ApprovalPolicy {
    const policy = d.environmentSpec.approval;
    if (!policy)
      throw conflict("invalid_state", `${d.environmentName} has no approval policy; deployment ${d.id} needs no approval`);
    return policy;
  }

  const expiresAt = (d: DeploymentRecord, policy: ApprovalPolicy) =>
    new Date(Date.parse(d.createdAt) + policy.expiresAfterMs).toISOString();

  /** Called in the transaction that creates a deployment waiting for approval. */
  async function awaitingApproval(
    tx: Queryable,
    input: { deploymentId: string; policy: ApprovalPolicy; at: Date },
  ): Promise<void> {
    await deps.enqueue(tx, {
      type: APPROVAL_EXPIRY_JOB,
      key: `approval:${input.deploymentId}`,
      payload: { deploymentId: input.deploymentId },
      runAt: new Date(input.at.getTime() + input.policy.expiresAfterMs),
    });
  }

  /** Why this person may not decide on this deployment, or null when they may. */
  async function refusal(d: DeploymentRecord, actor: Actor, policy: ApprovalPolicy): Promise<DomainError | null> {
    if (actor.kind !== "user")
      return new DomainError(
        "not_an_approver",
        "Approvals are made by people: sign in or use a personal token, not a service token",
      );
    if (!atLeast(roleIn(actor, d.projectId), "approver")) {
      return new DomainError(
        "forbidden",
        `Approving in ${d.projectSlug} needs the approver role; ${actor.name} has ${roleIn(actor, d.projectId) ?? "none"}`,
      );
    }
    const release = await deps.releases.recordById(d.releaseId);
    if (!policy.allowSelfApproval && (release.createdBy === actor.name || d.createdBy === actor.name)) {
      return new DomainError(
        "self_approval",
        `${actor.name} created or promoted ${release.version} and may not approve it (allowSelfApproval is off for ${d.environmentName})`,
      );
    }
    if (groupsOf(policy, actor, d.projectId).length === 0) {
      return new DomainError(
        "not_an_approver",
        `${actor.name} is in none of ${d.environmentName}'s approval groups (${policy.groups.map((g) => g.name).join(", ")})`,
      );
    }
    return null;
  }

  function checkOpen(d: DeploymentRecord, policy: ApprovalPolicy): void {
    if (d.status === "pending_approval") return;
    if (d.status === "expired")
      throw new DomainError(
        "approval_expired",
        `Deployment ${d.id} expired at ${expiresAt(d, policy)} without enough approvals; promote again`,
      );
    throw conflict(
      "invalid_state",
      `Deployment ${d.id} is ${d.status}${d.reason ? ` (${d.reason})` : ""}; there is nothing to decide`,
      { status: d.status },
    );
  }

  async function decide(input: {
    deploymentId: string;
    actor: Actor;
    decision: "approve" | "reject";
    comment: string | null;
  }): Promise<ApprovalState> {
    const first = await deployments.record(input.deploymentId);
    const policy = policyOf(first);
    const refused = await refusal(first, input.actor, policy);
    if (refused) throw refused;
    if (input.decision === "reject" && !input.comment?.trim())
      throw new DomainError("invalid_request", "A rejection needs a comment saying why");
    const release = await deps.releases.recordById(first.releaseId);
    try {
      await db.transaction().execute(async (tx) => {
        // Lock, then read: of 50 people approving at once, exactly one sees the last required approval.
        await deployments.lockDeployment(tx, first.id);
        const d = await deployments.recordIn(tx, first.id);
        checkOpen(d, policy);
        if (clock.now().toISOString() >= expiresAt(d, policy))
          throw new DomainError(
            "approval_expired",
            `The approval window of deployment ${d.id} closed at ${expiresAt(d, policy)}`,
          );
        const at = clock.now().toISOString();
        const decision: Decision = {
          deploymentId: d.id,
          user: input.actor.name,
          userId: input.actor.id,
          decision: input.decision,
          comment: input.comment,
          groups: groupsOf(policy, input.actor, d.projectId),
          releaseDigest: release.artifactDigest,
          at,
        };
        await store.insertDecision(tx, newId("apr", clock.now().getTime()), decision);
        let outcome: string = input.decision === "reject" ? "rejected" : "pending_approval";
        if (input.decision === "reject") {
          await deployments.endApproval(tx, d.id, "reject", `rejected by ${input.actor.name}: ${input.comment ?? ""}`);
        } else {
          const groups = progress(policy, await store.listDecisions(tx, [d.id]));
          if (groups.every((g) => g.satisfied) && (await deployments.releaseApproved(tx, d.id, policy.waitTimerMs)))
            outcome = "queued";
        }
        await deps.audit?.append(tx, {
          actor: input.actor.name,
          action: input.decision === "reject" ? "approval.rejected" : "approval.approved",
          projectId: d.projectId,
          subject: { type: "deployment", id: d.id },
          data: {
            environment: d.environmentName,
            release: d.releaseVersion,
            comment: input.comment,
            groups: decision.groups,
            releaseDigest: decision.releaseDigest,
            outcome,
          },
        });
      });
    } catch (error) {
      if (isUniqueViolation(error))
        throw new DomainError("already_decided", `${input.actor.name} already decided on deployment ${first.id}`);
      throw error;
    }
    return state(first.id);
  }

  async function state(deploymentId: string): Promise<ApprovalState> {
    const d = await deployments.record(deploymentId);
    const policy = policyOf(d);
    const decisions = await store.listDecisions(db, [d.id]);
    return {
      deploymentId: d.id,
      status: d.status,
      groups: progress(policy, decisions),
      decisions: decisions.map((x) => ({ user: x.user, decision: x.decision, comment: x.comment, at: x.at })),
      expiresAt: expiresAt(d, policy),
      waitTimerMs: policy.waitTimerMs,
    };
  }

  /** Deployments waiting for a decision this person may make: a member of an unsatisfied group, not the author, not yet decided. */
  async function inbox(actor: Actor): Promise<{ deployment: DeploymentRecord; state: ApprovalState }[]> {
    const visible = actor.globalAdmin || actor.allProjects ? null : Object.keys(actor.projectRoles);
    const pending = await deployments.pendingApproval(visible, 200);
    const decisions = await store.listDecisions(
      db,
      pending.map((d) => d.id),
    );
    const result: { deployment: DeploymentRecord; state: ApprovalState }[] = [];
    for (const d of pending) {
      const policy = d.environmentSpec.approval;
      if (!policy || (await refusal(d, actor, policy))) continue;
      const mine = decisions.filter((x) => x.deploymentId === d.id);
      if (mine.some((x) => x.userId === actor.id)) continue;
      const groups = progress(policy, mine);
      const open = new Set(groups.filter((g) => !g.satisfied).map((g) => g.name));
      if (!groupsOf(policy, actor, d.projectId).some((g) => open.has(g))) continue;
      result.push({ deployment: d, state: await state(d.id) });
    }
    return result;
  }

  async function expire(job: Job): Promise<JobResult> {
    const { deploymentId } = job.payload as { deploymentId: string };
    const d = await deployments.record(deploymentId).catch(() => undefined);
    if (d?.status !== "pending_approval") return { kind: "done" };
    const policy = policyOf(d);
    const wait = Date.parse(expiresAt(d, policy)) - clock.now().getTime();
    if (wait > 0) return { kind: "later", delayMs: wait };
    const reason = `approval expired: not enough approvals within ${formatDuration(policy.expiresAfterMs)}`;
    const prepared = await deps.events?.prepare("approval_expired", { ...d, status: "expired", reason }).catch(() => undefined);
    await db.transaction().execute(async (tx) => {
      await deployments.lockDeployment(tx, d.id);
      if (!(await deployments.endApproval(tx, d.id, "expire", reason))) return;
      await deps.events?.deliver(tx, prepared);
      await deps.audit?.append(tx, {
        actor: "system",
        action: "approval.expired",
        projectId: d.projectId,
        subject: { type: "deployment", id: d.id },
        data: { environment: d.environmentName, release: d.releaseVersion, expiresAfterMs: policy.expiresAfterMs },
      });
    });
    return { kind: "done" };
  }

  return { awaitingApproval, decide, state, inbox, expire };
}

export type ApprovalsService = ReturnType<typeof createApprovalsService>;
