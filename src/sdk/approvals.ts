import type { Deployment } from "../shared/api.ts";
import { AuthClient } from "./auth.ts";
import { path } from "./transport.ts";

/** One approval group of an environment's policy and how far it has got. */
export interface ApprovalGroupState {
  name: string;
  required: number;
  /** Usernames whose approval counted for this group. */
  approvedBy: string[];
  satisfied: boolean;
}

export interface ApprovalDecision {
  user: string;
  /** `approve` or `reject`. */
  decision: string;
  comment: string | null;
  at: string;
}

/** Where a deployment's approval stands: who approved, which groups are still open, when it expires. */
export interface ApprovalState {
  deploymentId: string;
  /** The deployment's status (`pending_approval` while it waits, `queued` once approved, `rejected`, `expired`, …). */
  status: string;
  groups: ApprovalGroupState[];
  decisions: ApprovalDecision[];
  /** When the deployment expires without enough approvals. */
  expiresAt: string | null;
  /** How long the deployment waits after its last required approval before it starts. */
  waitTimerMs: number;
}

/** A deployment in `listPendingApprovals`, with its approval so far. */
export interface PendingApproval {
  deployment: Deployment;
  approval: ApprovalState;
}

export interface ApproveReleaseBody {
  /** The environments in which the release waits for approval; each must have a pending deployment. */
  environments: string[];
  comment?: string;
}

/**
 * Approvals of deployments. A refusal by policy is an `ApiError` 403 with code `self_approval` (the caller made the
 * release or promoted it) or `not_an_approver` (in none of the groups, or a service token); a deployment that no
 * longer waits is a 409 `approval_expired`, `already_decided` or `invalid_state`.
 */
export class ApprovalsClient extends AuthClient {
  /** Approves as the caller; the last required approval queues the deployment. */
  async approveDeployment(id: string, options: { comment?: string } = {}): Promise<ApprovalState> {
    const body = options.comment === undefined ? {} : { comment: options.comment };
    return this.json(path`/api/v1/deployments/${id}/approve`, { method: "POST", json: body });
  }

  /** Rejects with the reason why, which the deployment keeps as its `reason`. */
  async rejectDeployment(id: string, comment: string): Promise<ApprovalState> {
    return this.json(path`/api/v1/deployments/${id}/reject`, { method: "POST", json: { comment } });
  }

  /** Approves a release waiting in several environments in one call; the states come in the order asked. */
  async approveRelease(slug: string, version: string, body: ApproveReleaseBody): Promise<{ items: ApprovalState[] }> {
    return this.json(path`/api/v1/projects/${slug}/releases/${version}/approve`, { method: "POST", json: body });
  }

  async getApproval(id: string): Promise<ApprovalState> {
    return this.json(path`/api/v1/deployments/${id}/approvals`);
  }

  /** Deployments, across projects, waiting for a decision the caller may make and has not made yet. */
  async listPendingApprovals(): Promise<{ items: PendingApproval[] }> {
    return this.json("/api/v1/approvals", { query: { mine: "pending" } });
  }
}
