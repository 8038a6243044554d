import type { Queryable } from "../../db/schema.ts";

export interface PendingOidcLogin {
  stateHash: string;
  codeVerifier: string;
  nonce: string;
  returnTo: string;
  createdAt: string;
  expiresAt: string;
}

export async function insertPendingLogin(db: Queryable, login: PendingOidcLogin): Promise<void> {
  await db
    .insertInto("oidc_logins")
    .values({
      state_hash: login.stateHash,
      code_verifier: login.codeVerifier,
      nonce: login.nonce,
      return_to: login.returnTo,
      created_at: login.createdAt,
      expires_at: login.expiresAt,
    })
    .execute();
}

/** Reads and deletes the pending sign-in in one go: a state is good for one callback, even with two replicas racing. */
export async function takePendingLogin(db: Queryable, stateHash: string): Promise<PendingOidcLogin | undefined> {
  const row = await db.deleteFrom("oidc_logins").where("state_hash", "=", stateHash).returningAll().executeTakeFirst();
  if (!row) return undefined;
  return {
    stateHash: row.state_hash,
    codeVerifier: row.code_verifier,
    nonce: row.nonce,
    returnTo: row.return_to,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
}

export async function deleteExpiredPendingLogins(db: Queryable, now: string): Promise<void> {
  await db.deleteFrom("oidc_logins").where("expires_at", "<=", now).execute();
}
