import { randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import type { Database } from "../../db/schema.ts";
import type { LoginBody, SessionInfo } from "../../shared/auth.api.ts";
import type { Clock } from "../../shared/clock.ts";
import { DomainError } from "../../shared/errors.ts";
import { safeEqual, sha256Hex } from "../../shared/hashing.ts";
import { newId } from "../../shared/ids.ts";
import type { Actor } from "../../shared/roles.ts";
import type { AuditRecorder } from "../audit/audit.recorder.ts";
import * as store from "./sessions.store.ts";
import { normalizeUsername, type UsersService } from "./users.service.ts";
import type { SessionRecord, UserRecord } from "./users.types.ts";

/** Idle sessions end after this; every request moves the end (at most once a minute, see TOUCH_EVERY_MS). */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
const TOUCH_EVERY_MS = 60_000;
/** Per username: this many failed sign-ins within the window, then no more tries until it ends. */
export const LOGIN_MAX_FAILURES = 10;
export const LOGIN_WINDOW_MS = 15 * 60 * 1000;

export interface AuthenticatedSession {
  actor: Actor;
  info: SessionInfo;
  /** The expiry moved: the cookie should be sent again with the new lifetime. */
  refreshed: boolean;
}

export interface SessionsService {
  /** A new session for the right username and password: the cookie value (`secret`) and what the browser may read. */
  login(input: LoginBody): Promise<{ secret: string; info: SessionInfo }>;
  /** The session a cookie value opens; `unauthorized` when unknown or expired. */
  authenticate(secret: string): Promise<AuthenticatedSession>;
  /** `forbidden` unless `header` is the session's CSRF token: what a write with the session cookie must carry. */
  checkCsrf(session: AuthenticatedSession, header: string | undefined): void;
  /** Ends the session (if it still exists). */
  logout(secret: string): Promise<void>;
  /** A new session for a user who proved who they are elsewhere (OIDC); audited as `login.succeeded`. */
  open(user: UserRecord, method: "oidc"): Promise<{ secret: string; info: SessionInfo }>;
  /** Records a sign-in that failed before a user was known (e.g. the identity provider said no). */
  recordFailure(input: { username: string | null; method: "password" | "oidc"; reason: string }): Promise<void>;
}

/** A name someone typed, fit for the audit log (printable, 1-200 characters): sign-in input is not validated further. */
function auditText(text: string): string {
  let out = "";
  for (const char of text.slice(0, 200)) {
    const code = char.codePointAt(0) ?? 0;
    // Control characters and lone surrogates (a code point of one UTF-16 unit in the surrogate range) become "?".
    out += code < 0x20 || code === 0x7f || (code >= 0xd800 && code <= 0xdfff) ? "?" : char;
  }
  return out || "(blank)";
}

const newCookieSecret = () => randomBytes(32).toString("base64url");

function sessionInfo(user: UserRecord, session: SessionRecord): SessionInfo {
  return {
    user: { username: user.username, displayName: user.displayName, globalAdmin: user.globalAdmin },
    csrfToken: session.csrfToken,
    expiresAt: session.expiresAt,
  };
}

export function createSessionsService(deps: {
  db: Kysely<Database>;
  clock: Clock;
  users: Pick<UsersService, "checkPassword" | "activeUser" | "actorOf">;
  audit?: AuditRecorder;
}): SessionsService {
  const { db, clock, users } = deps;

  /** Inserts the session and its `login.succeeded` event in one transaction. */
  async function open(user: UserRecord, method: "password" | "oidc"): Promise<{ secret: string; info: SessionInfo }> {
    const now = clock.now();
    await store.deleteExpiredSessions(db, now.toISOString());
    const secret = newCookieSecret();
    const session: SessionRecord = {
      id: newId("ses", now.getTime()),
      userId: user.id,
      csrfToken: newCookieSecret(),
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + SESSION_TTL_MS).toISOString(),
      lastSeenAt: now.toISOString(),
    };
    await db.transaction().execute(async (tx) => {
      await store.insertSession(tx, { ...session, tokenHash: sha256Hex(secret) });
      await deps.audit?.append(tx, {
        actor: user.username,
        action: "login.succeeded",
        subject: { type: "user", id: user.username },
        data: { method, session: session.id },
      });
    });
    return { secret, info: sessionInfo(user, session) };
  }

  async function recordFailure(input: { username: string | null; method: "password" | "oidc"; reason: string }) {
    await deps.audit?.append(db, {
      actor: auditText(input.username ?? "anonymous"),
      action: "login.failed",
      subject: { type: "user", id: auditText(input.username ?? "unknown") },
      data: { method: input.method, reason: input.reason },
    });
  }

  async function refuseWhenLocked(username: string, now: Date): Promise<void> {
    const windowStart = new Date(now.getTime() - LOGIN_WINDOW_MS).toISOString();
    if ((await store.loginFailures(db, username, windowStart)) < LOGIN_MAX_FAILURES) return;
    throw new DomainError(
      "rate_limited",
      `Too many failed sign-ins for this username; try again in ${LOGIN_WINDOW_MS / 60_000} minutes or ask an admin`,
      { details: { retryAfterSeconds: LOGIN_WINDOW_MS / 1000 } },
    );
  }

  return {
    open,
    recordFailure,

    async login(input) {
      const username = normalizeUsername(input.username);
      const now = clock.now();
      await refuseWhenLocked(username, now);
      const user = await users.checkPassword(username, input.password);
      const windowStart = new Date(now.getTime() - LOGIN_WINDOW_MS).toISOString();
      if (!user) {
        await db.transaction().execute(async (tx) => {
          await store.recordLoginFailure(tx, { username, now: now.toISOString(), windowStart });
          await deps.audit?.append(tx, {
            actor: auditText(username),
            action: "login.failed",
            subject: { type: "user", id: auditText(username) },
            data: { method: "password" },
          });
        });
        // One message for every reason (unknown user, wrong password, disabled), so it tells nothing to a guesser.
        throw new DomainError("unauthorized", "Wrong username or password");
      }
      await store.clearLoginFailures(db, username);
      await store.deleteStaleLoginFailures(db, windowStart);
      return open(user, "password");
    },

    async authenticate(secret) {
      const now = clock.now();
      const session = await store.findSessionByHash(db, sha256Hex(secret));
      if (!session || session.expiresAt <= now.toISOString()) {
        throw new DomainError("unauthorized", "The session has ended; sign in again");
      }
      const user = await users.activeUser(session.userId);
      const actor = await users.actorOf(user, "session");
      let refreshed = false;
      if (now.getTime() - Date.parse(session.lastSeenAt) > TOUCH_EVERY_MS) {
        session.lastSeenAt = now.toISOString();
        session.expiresAt = new Date(now.getTime() + SESSION_TTL_MS).toISOString();
        await store.extendSession(db, session.id, { lastSeenAt: session.lastSeenAt, expiresAt: session.expiresAt });
        refreshed = true;
      }
      return { actor, info: sessionInfo(user, session), refreshed };
    },

    checkCsrf(session, header) {
      if (header === undefined || !safeEqual(header, session.info.csrfToken)) {
        throw new DomainError(
          "forbidden",
          "missing or wrong CSRF token: send the csrfToken of POST/GET /api/v1/session as the X-CSRF-Token header",
        );
      }
    },

    async logout(secret) {
      const session = await store.findSessionByHash(db, sha256Hex(secret));
      if (session) await store.deleteSession(db, session.id);
    },
  };
}
