/** Project roles, each including the ones before it: viewer < developer < approver < admin. */
export const ROLES = ["viewer", "developer", "approver", "admin"] as const;
export type Role = (typeof ROLES)[number];

export function roleRank(role: Role): number {
  return ROLES.indexOf(role);
}

export function atLeast(role: Role | null, needed: Role): boolean {
  return role !== null && roleRank(role) >= roleRank(needed);
}

/** The lower of two roles: a personal token never does more than its user may. */
export function lowerRole(a: Role, b: Role): Role {
  return roleRank(a) <= roleRank(b) ? a : b;
}

/** Who is calling, after authentication: plain data that routes hand to services. */
export interface Actor {
  /** A user (password/OIDC session or personal token) or a service token. */
  kind: "user" | "service";
  /** User id, or the token id of a service token. */
  id: string;
  /** Username or token name: what the audit log and `createdBy` fields show. */
  name: string;
  /** The API token used, or null for a browser session. */
  tokenId: string | null;
  via: "token" | "session";
  /** Global admins may do everything everywhere. */
  globalAdmin: boolean;
  /** Role per project id. */
  projectRoles: Record<string, Role>;
  /** A role that applies to every project (unscoped service tokens), or null. */
  allProjects: Role | null;
  /** Identity-provider groups (OIDC), for approval groups that name them. */
  groups: string[];
}

export function roleIn(actor: Actor, projectId: string): Role | null {
  if (actor.globalAdmin) return "admin";
  return actor.projectRoles[projectId] ?? actor.allProjects;
}
