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

export interface AuthDatabase {
  users: UsersTable;
  project_members: ProjectMembersTable;
  sessions: SessionsTable;
  login_failures: LoginFailuresTable;
}
