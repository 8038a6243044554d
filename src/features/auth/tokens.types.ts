import type { TokenKind } from "../../shared/auth.api.ts";
import type { Role } from "../../shared/roles.ts";

export interface ApiToken {
  id: string;
  name: string;
  kind: TokenKind;
  /** A service token's role; a personal token's cap on its user's roles. */
  role: Role;
  /** The user a personal token acts as; null for a service token. */
  userId: string | null;
  /** The projects (ids) the token may touch; null for every project. */
  projectIds: string[] | null;
  /** Service tokens only: may do everything, including managing users and tokens. */
  globalAdmin: boolean;
  createdBy: string | null;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
}
