import { ROLES, type Role } from "../../shared/roles.ts";

/** A role read back from the database; anything else there is corruption, not input. */
export function toRole(text: string): Role {
  const role = ROLES.find((candidate) => candidate === text);
  if (!role) throw new Error(`Stored role "${text}" is not one of ${ROLES.join(", ")}`);
  return role;
}

export interface UserRecord {
  id: string;
  username: string;
  displayName: string | null;
  email: string | null;
  passwordHash: string | null;
  globalAdmin: boolean;
  disabled: boolean;
  createdAt: string;
  /** The OIDC identity of a user who signs in through the identity provider; null for a local user. */
  oidc: { issuer: string; subject: string } | null;
  /** The identity provider's groups at the last OIDC sign-in (empty for local users). */
  groups: string[];
}

export interface Membership {
  projectId: string;
  userId: string;
  role: Role;
  createdAt: string;
}

export interface SessionRecord {
  id: string;
  userId: string;
  csrfToken: string;
  createdAt: string;
  expiresAt: string;
  lastSeenAt: string;
}
