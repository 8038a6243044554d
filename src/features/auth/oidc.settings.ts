import { type Static, Type } from "typebox";
import { Value } from "typebox/value";
import { RoleSchema } from "../../shared/auth.api.ts";
import { type Role, roleRank } from "../../shared/roles.ts";

/**
 * `OIDC_GROUP_ROLES`: for each identity-provider group, either `"global_admin"` or a role per project slug. A user's
 * role in a project is the highest any of their groups maps to there.
 */
export const GroupRolesSchema = Type.Record(
  Type.String({ minLength: 1, maxLength: 200 }),
  Type.Union([Type.Literal("global_admin"), Type.Record(Type.String({ pattern: "^[a-z0-9][a-z0-9-]{0,62}$" }), RoleSchema)]),
);
export type GroupRoles = Static<typeof GroupRolesSchema>;

export interface OidcSettings {
  issuer: URL;
  clientId: string;
  clientSecret: string;
  redirectUrl: URL;
  scopes: string;
  groupsClaim: string;
  groupRoles: GroupRoles;
  displayName: string;
}

export class OidcSettingsError extends Error {
  override readonly name = "OidcSettingsError";
}

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** The settings from config, or null when OIDC sign-in is not configured (no issuer). Throws on a half or bad setup. */
export function oidcSettings(config: {
  OIDC_ISSUER_URL?: string | undefined;
  OIDC_CLIENT_ID?: string | undefined;
  OIDC_CLIENT_SECRET?: string | undefined;
  OIDC_REDIRECT_URL?: string | undefined;
  OIDC_SCOPES: string;
  OIDC_GROUPS_CLAIM: string;
  OIDC_GROUP_ROLES: string;
  OIDC_DISPLAY_NAME: string;
  publicUrl: string;
}): OidcSettings | null {
  if (!config.OIDC_ISSUER_URL) return null;
  if (!config.OIDC_CLIENT_ID || !config.OIDC_CLIENT_SECRET) {
    throw new OidcSettingsError("OIDC_ISSUER_URL is set: OIDC_CLIENT_ID and OIDC_CLIENT_SECRET are needed too");
  }
  const issuer = new URL(config.OIDC_ISSUER_URL);
  // Tokens and codes travel to the issuer: plain http only where nobody else can listen (a provider on this machine).
  if (issuer.protocol !== "https:" && !LOOPBACK.has(issuer.hostname)) {
    throw new OidcSettingsError(`OIDC_ISSUER_URL must be https (http is allowed on localhost only): ${issuer.href}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(config.OIDC_GROUP_ROLES);
  } catch (error) {
    throw new OidcSettingsError(`OIDC_GROUP_ROLES is not JSON: ${(error as Error).message}`);
  }
  if (!Value.Check(GroupRolesSchema, parsed)) {
    const first = Value.Errors(GroupRolesSchema, parsed)[0];
    throw new OidcSettingsError(
      `OIDC_GROUP_ROLES ${first?.instancePath || ""} ${first?.message ?? "is invalid"}: expected e.g. {"platform":"global_admin","quants":{"demo":"developer"}}`,
    );
  }
  return {
    issuer,
    clientId: config.OIDC_CLIENT_ID,
    clientSecret: config.OIDC_CLIENT_SECRET,
    redirectUrl: new URL(config.OIDC_REDIRECT_URL ?? `${config.publicUrl}/api/v1/auth/oidc/callback`),
    scopes: config.OIDC_SCOPES,
    groupsClaim: config.OIDC_GROUPS_CLAIM,
    groupRoles: parsed,
    displayName: config.OIDC_DISPLAY_NAME,
  };
}

/** What the mapping grants a member of `groups`: global admin (when any group names it) and the highest role per project. */
export function rolesForGroups(
  groupRoles: GroupRoles,
  groups: readonly string[],
): {
  globalAdmin: boolean;
  projects: Map<string, Role>;
} {
  let globalAdmin = false;
  const projects = new Map<string, Role>();
  for (const group of groups) {
    const grant = groupRoles[group];
    if (grant === undefined) continue;
    if (grant === "global_admin") {
      globalAdmin = true;
      continue;
    }
    for (const [slug, role] of Object.entries(grant)) {
      const current = projects.get(slug);
      if (current === undefined || roleRank(role) > roleRank(current)) projects.set(slug, role);
    }
  }
  return { globalAdmin, projects };
}

/** The project slugs the mapping manages (memberships there follow the groups) and whether it manages global admin. */
export function managedByMapping(groupRoles: GroupRoles): { globalAdmin: boolean; projects: Set<string> } {
  const projects = new Set<string>();
  let globalAdmin = false;
  for (const grant of Object.values(groupRoles)) {
    if (grant === "global_admin") globalAdmin = true;
    else for (const slug of Object.keys(grant)) projects.add(slug);
  }
  return { globalAdmin, projects };
}
