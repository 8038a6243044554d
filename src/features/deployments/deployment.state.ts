import type { DeploymentStatus } from "../../shared/api.ts";

export type DeploymentEvent = "start" | "succeed" | "fail" | "error" | "cancel" | "supersede" | "approve" | "reject" | "expire";

/** The state machine: for each event, the states it may leave from and the state it leads to. */
export const TRANSITIONS: Record<DeploymentEvent, { from: DeploymentStatus[]; to: DeploymentStatus }> = {
  start: { from: ["queued"], to: "running" },
  succeed: { from: ["running"], to: "succeeded" },
  fail: { from: ["running"], to: "failed" },
  error: { from: ["queued", "running"], to: "errored" },
  cancel: { from: ["pending_gates", "pending_approval", "queued", "running"], to: "cancelled" },
  supersede: { from: ["pending_gates", "pending_approval", "queued"], to: "superseded" },
  approve: { from: ["pending_approval"], to: "queued" },
  reject: { from: ["pending_approval"], to: "rejected" },
  expire: { from: ["pending_approval"], to: "expired" },
};

export function canTransition(from: DeploymentStatus, event: DeploymentEvent): boolean {
  return TRANSITIONS[event].from.includes(from);
}

export function isTerminal(status: DeploymentStatus): boolean {
  switch (status) {
    case "succeeded":
    case "failed":
    case "errored":
    case "rejected":
    case "expired":
    case "cancelled":
    case "superseded":
      return true;
    case "pending_gates":
    case "pending_approval":
    case "queued":
    case "running":
      return false;
  }
}
