import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { clearSessionCookie, csrfHeader, sessionCookie, setSessionCookie } from "../../http/auth.ts";
import { ErrorBody } from "../../shared/api.ts";
import { LoginBody, SessionInfo } from "../../shared/auth.api.ts";
import { DomainError } from "../../shared/errors.ts";
import type { SessionsService } from "./sessions.service.ts";

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 429: ErrorBody };

/** Browser sign-in. Public routes: they read the session cookie themselves. */
export function sessionsRoutes(deps: { sessions: SessionsService; secureCookies: boolean }): FastifyPluginAsyncTypebox {
  const { sessions, secureCookies } = deps;
  return async (app) => {
    app.post(
      "/session",
      {
        config: { public: true },
        schema: {
          tags: ["auth"],
          summary: "Sign in with username and password: sets the session cookie, returns the CSRF token for writes",
          body: LoginBody,
          response: { 201: SessionInfo, ...errors },
        },
      },
      async (request, reply) => {
        try {
          const { secret, info } = await sessions.login(request.body);
          setSessionCookie(reply, secret, secureCookies);
          reply.code(201);
          return info;
        } catch (error) {
          const retry = error instanceof DomainError ? error.details?.retryAfterSeconds : undefined;
          if (typeof retry === "number") reply.header("retry-after", String(retry));
          throw error;
        }
      },
    );

    app.get(
      "/session",
      {
        config: { public: true },
        schema: {
          tags: ["auth"],
          summary: "The signed-in user and the session's CSRF token; 401 when not signed in",
          response: { 200: SessionInfo, ...errors },
        },
      },
      async (request, reply) => {
        const cookie = sessionCookie(request);
        if (!cookie) throw new DomainError("unauthorized", "Not signed in: POST /api/v1/session with username and password");
        try {
          const session = await sessions.authenticate(cookie);
          if (session.refreshed) setSessionCookie(reply, cookie, secureCookies);
          return session.info;
        } catch (error) {
          clearSessionCookie(reply, secureCookies);
          throw error;
        }
      },
    );

    app.delete(
      "/session",
      {
        config: { public: true },
        schema: {
          tags: ["auth"],
          summary: "Sign out (needs X-CSRF-Token while the session is alive); clears the cookie",
          response: { 204: Type.Null(), ...errors },
        },
      },
      async (request, reply) => {
        const cookie = sessionCookie(request);
        if (cookie) {
          const session = await sessions.authenticate(cookie).catch(() => undefined);
          // A live session ends only on the user's own request; a dead one has nothing left to protect.
          if (session) {
            sessions.checkCsrf(session, csrfHeader(request));
            await sessions.logout(cookie);
          }
        }
        clearSessionCookie(reply, secureCookies);
        return reply.code(204).send(null);
      },
    );
  };
}
