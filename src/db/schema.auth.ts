/**
 * Tables of users, memberships and browser sessions (migration 0006_auth). Kept apart from `schema.ts` so the feature can
 * land without touching the shared file; the columns 0006 adds to `api_tokens` are in `ApiTokensTable` there.
 */
export interface UsersTable {
  id: string;
  /** Lowercase; unique. */
  username: string;
  display_name: string | null;
  email: string | null;
  /** `scrypt$<log2 N>$<r>$<p>$<salt>$<hash>` (base64url), or null for a user who signs in through OIDC only. */
  password_hash: string | null;
  global_admin: number;
  disabled: number;
  created_at: string;
  /** 0012_auth_oidc: the OIDC identity (issuer URL + `sub`) of a user who signed in that way; null for local users. */
  oidc_issuer: string | null;
  oidc_subject: string | null;
  /** JSON array of the identity provider's groups at the last OIDC sign-in; null for local users. */
  groups_json: string | null;
}

export interface ProjectMembersTable {
  project_id: string;
  user_id: string;
  role: string;
  created_at: string;
}

export interface SessionsTable {
  id: string;
  user_id: string;
  /** SHA-256 of the cookie value: the cookie itself is never stored. */
  token_hash: string;
  csrf_token: string;
  created_at: string;
  expires_at: string;
  last_seen_at: string;
}

/** Failed sign-ins per username in the current window: shared by every replica, so the limit holds behind a balancer. */
export interface LoginFailuresTable {
  username: string;
  failures: number;
  window_started_at: string;
}

/** An OIDC sign-in between redirect and callback (0012_auth_oidc): single use, short-lived. */
export interface OidcLoginsTable {
  /** SHA-256 of the `state` parameter, which the browser also carries in a cookie. */
  state_hash: string;
  code_verifier: string;
  nonce: string;
  /** Where the browser goes after signing in: a path on this server. */
  return_to: string;
  created_at: string;
  expires_at: string;
}

export interface AuthDatabase {
  users: UsersTable;
  project_members: ProjectMembersTable;
  sessions: SessionsTable;
  login_failures: LoginFailuresTable;
  oidc_logins: OidcLoginsTable;
}
