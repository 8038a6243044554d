import { type Actor, atLeast, ROLES, type Role, roleIn } from "../../shared/roles.ts";
import type { ApprovalPolicy, Decision } from "./approvals.types.ts";

/** The groups of a policy this person belongs to: by username, by `@role` (that role or higher here) or `group:<OIDC group>`. */
export function groupsOf(policy: ApprovalPolicy, actor: Actor, projectId: string): string[] {
  const role = roleIn(actor, projectId);
  return policy.groups
    .filter((group) =>
      group.members.some((member) => {
        if (member.startsWith("@")) {
          const wanted = member.slice(1) as Role;
          return (ROLES as readonly string[]).includes(wanted) && atLeast(role, wanted);
        }
        if (member.startsWith("group:")) return actor.groups.includes(member.slice("group:".length));
        return actor.kind === "user" && member === actor.name;
      }),
    )
    .map((group) => group.name);
}

export interface GroupProgress {
  name: string;
  required: number;
  approvedBy: string[];
  satisfied: boolean;
}

/** Each group counts the approvals of its members; a person in two groups counts for both. */
export function progress(policy: ApprovalPolicy, decisions: Decision[]): GroupProgress[] {
  return policy.groups.map((group) => {
    const approvedBy = decisions.filter((d) => d.decision === "approve" && d.groups.includes(group.name)).map((d) => d.user);
    return { name: group.name, required: group.required, approvedBy, satisfied: approvedBy.length >= group.required };
  });
}
