import { type Actor, lowerRole, type Role } from "../../shared/roles.ts";
import type { ApiToken } from "./tokens.types.ts";

/** What a token may do: a service token by itself; a personal one as its user, never above its role, only in its scope. */
export function serviceActor(token: ApiToken): Actor {
  const scope = token.projectIds;
  return {
    kind: "service",
    id: token.id,
    name: token.name,
    tokenId: token.id,
    via: "token",
    globalAdmin: token.globalAdmin,
    projectRoles: scope ? Object.fromEntries(scope.map((id) => [id, token.role])) : {},
    allProjects: scope ? null : token.role,
    groups: [],
  };
}

export function personalActor(token: ApiToken, user: Actor): Actor {
  const scope = token.projectIds;
  const actor: Actor = { ...user, tokenId: token.id, via: "token" };
  if (user.globalAdmin) {
    if (token.role === "admin" && scope === null) return actor;
    // A global admin's narrower token: its role on every project in its scope, and no global rights.
    return {
      ...actor,
      globalAdmin: false,
      projectRoles: scope ? Object.fromEntries(scope.map((id) => [id, token.role])) : {},
      allProjects: scope ? null : token.role,
    };
  }
  const projectRoles: Record<string, Role> = {};
  for (const [projectId, role] of Object.entries(user.projectRoles)) {
    if (scope === null || scope.includes(projectId)) projectRoles[projectId] = lowerRole(role, token.role);
  }
  return { ...actor, projectRoles, allProjects: null };
}
