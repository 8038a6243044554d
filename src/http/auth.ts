import fastifyCookie from "@fastify/cookie";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { SESSION_TTL_MS, type SessionsService } from "../features/auth/sessions.service.ts";
import type { TokensService } from "../features/auth/tokens.service.ts";
import { DomainError } from "../shared/errors.ts";
import type { Actor } from "../shared/roles.ts";

declare module "fastify" {
  interface FastifyRequest {
    actor: Actor | null;
  }
  interface FastifyContextConfig {
    /** Routes that authenticate themselves (e.g. a deployment callback with its own token, sign-in). */
    public?: boolean;
  }
}

export const SESSION_COOKIE = "sg_session";
export const CSRF_HEADER = "x-csrf-token";
const WRITES = new Set(["POST", "PUT", "PATCH", "DELETE"]);

export interface Authenticators {
  tokens: Pick<TokensService, "authenticate">;
  sessions: Pick<SessionsService, "authenticate" | "checkCsrf">;
  /** Send the session cookie with `Secure` (the server is reached over https). */
  secureCookies: boolean;
}

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) throw new DomainError("unauthorized", "Authorization header must be `Bearer <token>`");
  return match[1];
}

export function sessionCookie(request: FastifyRequest): string | undefined {
  return request.cookies[SESSION_COOKIE] || undefined;
}

export function csrfHeader(request: FastifyRequest): string | undefined {
  const value = request.headers[CSRF_HEADER];
  return typeof value === "string" ? value : undefined;
}

/** HttpOnly (scripts cannot read it), SameSite=Lax (not sent on cross-site writes), for the whole site. */
export function setSessionCookie(reply: FastifyReply, value: string, secure: boolean): void {
  reply.setCookie(SESSION_COOKIE, value, { httpOnly: true, sameSite: "lax", secure, path: "/", maxAge: SESSION_TTL_MS / 1000 });
}

export function clearSessionCookie(reply: FastifyReply, secure: boolean): void {
  reply.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: "lax", secure, path: "/" });
}

/**
 * Every `/api/v1` route needs an API token (`Authorization: Bearer`) or a session cookie unless it declares
 * `config: { public: true }`. With the cookie, writes also need the session's CSRF token in `X-CSRF-Token`: a browser
 * attaches cookies to requests other sites make it send, never headers. A bearer token wins over a cookie.
 */
export async function registerAuth(app: FastifyInstance, auth: Authenticators): Promise<void> {
  // Awaited so its cookie-parsing hook runs before the one below.
  await app.register(fastifyCookie);
  app.decorateRequest("actor", null);
  app.addHook("onRequest", async (request, reply) => {
    if (!request.url.startsWith("/api/")) return;
    if (request.routeOptions.config?.public) return;
    const token = bearer(request);
    const cookie = sessionCookie(request);
    if (token !== undefined || cookie === undefined) {
      request.actor = await auth.tokens.authenticate(token);
      return;
    }
    let session: Awaited<ReturnType<Authenticators["sessions"]["authenticate"]>>;
    try {
      session = await auth.sessions.authenticate(cookie);
    } catch (error) {
      clearSessionCookie(reply, auth.secureCookies);
      throw error;
    }
    if (WRITES.has(request.method)) auth.sessions.checkCsrf(session, csrfHeader(request));
    request.actor = session.actor;
    if (session.refreshed) setSessionCookie(reply, cookie, auth.secureCookies);
  });
}

export function bearerToken(request: FastifyRequest): string | undefined {
  return bearer(request);
}

export function actorOf(request: FastifyRequest): Actor {
  if (!request.actor) throw new DomainError("unauthorized", "Send an API token (Authorization: Bearer <token>) or sign in");
  return request.actor;
}
