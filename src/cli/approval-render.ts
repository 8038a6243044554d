import type { ApprovalGroupState, ApprovalState, PendingApproval } from "../sdk/approvals.ts";
import type { Deployment } from "../shared/api.ts";
import { formatDuration } from "../shared/duration.ts";
import { formatFields, formatTable, NONE, relativeTime } from "./output.ts";
import { timestamp } from "./render.ts";

/** Table renderings of approval states, shared by approve, reject and the approvals commands. */

/** "managers 1/2, security 0/1". */
export function groupsProgress(groups: readonly ApprovalGroupState[]): string {
  return groups.map((g) => `${g.name} ${g.approvedBy.length}/${g.required}`).join(", ") || NONE;
}

/** What happens next: still waiting (and until when), waiting out the wait timer, or where the deployment went. */
export function approvalOutcome(state: ApprovalState): string {
  const progress = groupsProgress(state.groups);
  if (state.status === "pending_approval") {
    const expires = state.expiresAt ? `, expires ${relativeTime(state.expiresAt)}` : "";
    return `${progress}; waiting for more approvals${expires}`;
  }
  if (state.status === "queued" && state.waitTimerMs > 0) {
    return `${progress}; all approvals in, it starts after its wait timer (${formatDuration(state.waitTimerMs)})`;
  }
  const follow =
    state.status === "queued" || state.status === "running"
      ? `\nfollow it: stagegate deploy log ${state.deploymentId} --follow`
      : "";
  return `${progress}; the deployment is ${state.status}${follow}`;
}

/** `approvals get`: the deployment it is about (when known), the groups, the expiry, then every decision. */
export function approvalDetail(state: ApprovalState, deployment?: Deployment): string {
  const about = deployment
    ? ([
        ["Project", deployment.project],
        ["Release", `${deployment.release} → ${deployment.environment}`],
        ["Requested by", deployment.createdBy],
      ] as const)
    : [];
  const fields = formatFields([
    ["Deployment", state.deploymentId],
    ...about,
    ["Status", state.status],
    ["Groups", state.groups.map(groupLine).join(", ")],
    // Once decided, when it would have expired no longer matters.
    ["Expires", state.status === "pending_approval" || state.status === "expired" ? timestamp(state.expiresAt) : null],
    ["Wait timer", state.waitTimerMs > 0 ? formatDuration(state.waitTimerMs) : null],
  ]);
  if (state.decisions.length === 0) return `${fields}\n\nno decisions yet`;
  const decisions = formatTable(
    ["DECISION", "BY", "WHEN", "COMMENT"],
    state.decisions.map((d) => [d.decision, d.user, relativeTime(d.at), d.comment ?? NONE]),
  );
  return `${fields}\n\n${decisions}`;
}

/** "managers 1/2 (bob)": who counted so far. */
function groupLine(group: ApprovalGroupState): string {
  const who = group.approvedBy.length > 0 ? ` (${group.approvedBy.join(", ")})` : "";
  return `${group.name} ${group.approvedBy.length}/${group.required}${who}`;
}

export function pendingTable(items: readonly PendingApproval[]): string {
  return formatTable(
    ["DEPLOYMENT", "PROJECT", "RELEASE → ENVIRONMENT", "REQUESTED BY", "APPROVALS", "EXPIRES"],
    items.map(({ deployment: d, approval }) => [
      d.id,
      d.project,
      `${d.release} → ${d.environment}`,
      d.createdBy ?? NONE,
      groupsProgress(approval.groups),
      relativeTime(approval.expiresAt),
    ]),
  );
}
