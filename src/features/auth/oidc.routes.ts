import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { setSessionCookie } from "../../http/auth.ts";
import { ErrorBody, Nullable } from "../../shared/api.ts";
import { DomainError } from "../../shared/errors.ts";
import { OIDC_LOGIN_TTL_MS, type OidcService } from "./oidc.service.ts";

const STATE_COOKIE = "sg_oidc_state";
const STATE_COOKIE_PATH = "/api/v1/auth/oidc";
const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody };

export const AuthProviders = Type.Object({
  password: Type.Boolean({ description: "username + password: POST /api/v1/session" }),
  oidc: Nullable(
    Type.Object({
      name: Type.String({ description: "what the sign-in button says" }),
      loginUrl: Type.String({ description: "send the browser here (add ?returnTo=/path to come back to a page)" }),
    }),
  ),
});

function notConfigured(): DomainError {
  return new DomainError("not_found", "OIDC sign-in is not configured on this server (OIDC_ISSUER_URL); sign in with a password");
}

/** OIDC sign-in for browsers: public routes, since the caller has no session yet. */
export function oidcRoutes(deps: { oidc: OidcService | null; secureCookies: boolean }): FastifyPluginAsyncTypebox {
  const { oidc, secureCookies } = deps;
  return async (app) => {
    app.get(
      "/auth/providers",
      {
        config: { public: true },
        schema: {
          tags: ["auth"],
          summary: "How users may sign in here: what the sign-in page offers",
          response: { 200: AuthProviders },
        },
      },
      async () => ({
        password: true,
        oidc: oidc ? { name: oidc.displayName, loginUrl: "/api/v1/auth/oidc/login" } : null,
      }),
    );

    app.get(
      "/auth/oidc/login",
      {
        config: { public: true },
        schema: {
          tags: ["auth"],
          summary: "Start an OIDC sign-in: redirects to the identity provider (authorization code + PKCE)",
          querystring: Type.Object(
            { returnTo: Type.Optional(Type.String({ maxLength: 2000, description: "a path on this server" })) },
            { additionalProperties: false },
          ),
          response: { 302: Type.Null(), ...errors },
        },
      },
      async (request, reply) => {
        if (!oidc) throw notConfigured();
        const { url, state } = await oidc.begin({ returnTo: request.query.returnTo });
        reply.setCookie(STATE_COOKIE, state, {
          httpOnly: true,
          // Lax: the provider sends the browser back with a top-level GET, which carries Lax cookies.
          sameSite: "lax",
          secure: secureCookies,
          path: STATE_COOKIE_PATH,
          maxAge: OIDC_LOGIN_TTL_MS / 1000,
        });
        return reply.redirect(url, 302);
      },
    );

    app.get(
      "/auth/oidc/callback",
      {
        config: { public: true },
        schema: {
          tags: ["auth"],
          summary: "Where the identity provider returns: sets the session cookie and redirects to where sign-in began",
          response: { 302: Type.Null(), ...errors },
        },
      },
      async (request, reply) => {
        if (!oidc) throw notConfigured();
        const query = request.url.includes("?") ? request.url.slice(request.url.indexOf("?") + 1) : "";
        reply.clearCookie(STATE_COOKIE, { httpOnly: true, sameSite: "lax", secure: secureCookies, path: STATE_COOKIE_PATH });
        const { secret, returnTo } = await oidc.complete({ query, browserState: request.cookies[STATE_COOKIE] });
        setSessionCookie(reply, secret, secureCookies);
        return reply.redirect(returnTo, 302);
      },
    );
  };
}
