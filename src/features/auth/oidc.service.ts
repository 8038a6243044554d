import type { Kysely } from "kysely";
import * as oidc from "openid-client";
import type { Database } from "../../db/schema.ts";
import type { SessionInfo } from "../../shared/auth.api.ts";
import type { Clock } from "../../shared/clock.ts";
import { DomainError } from "../../shared/errors.ts";
import { sha256Hex } from "../../shared/hashing.ts";
import type { OidcProfile, OidcProvisioner } from "./oidc.provision.ts";
import type { OidcSettings } from "./oidc.settings.ts";
import * as store from "./oidc.store.ts";
import type { SessionsService } from "./sessions.service.ts";

/** How long a browser may take at the identity provider between redirect and callback. */
export const OIDC_LOGIN_TTL_MS = 10 * 60 * 1000;

export interface OidcService {
  displayName: string;
  /** Where to send the browser (authorization code + PKCE S256 + nonce); `state` also goes into a cookie. */
  begin(input: { returnTo: string | undefined }): Promise<{ url: string; state: string }>;
  /**
   * Finishes a sign-in: `query` is the callback's query string, `browserState` the state cookie of the browser that
   * began it. Exchanges the code, reads ID token + userinfo claims, provisions the user, opens a session.
   */
  complete(input: {
    query: string;
    browserState: string | undefined;
  }): Promise<{ secret: string; info: SessionInfo; returnTo: string }>;
}

function refused(message: string): DomainError {
  return new DomainError("unauthorized", `OIDC sign-in failed: ${message}; start again from the sign-in page`);
}

/** Only a path on this server: an open redirect after sign-in would hand a phishing page a trusted link. */
export function safeReturnTo(returnTo: string | undefined): string {
  if (!returnTo?.startsWith("/") || returnTo.startsWith("//") || returnTo.includes("\\")) return "/";
  return returnTo.length > 2000 ? "/" : returnTo;
}

function stringClaim(claims: Record<string, unknown>, name: string): string | null {
  const value = claims[name];
  return typeof value === "string" && value !== "" ? value : null;
}

/** The group claim as a list: providers send an array of names, some a single string. */
function groupsClaim(claims: Record<string, unknown>, name: string): string[] {
  const value = claims[name];
  if (typeof value === "string") return [value];
  if (!Array.isArray(value)) return [];
  return [...new Set(value.filter((g): g is string => typeof g === "string" && g !== "" && g.length <= 200))].slice(0, 500);
}

export function createOidcService(deps: {
  db: Kysely<Database>;
  clock: Clock;
  settings: OidcSettings;
  provisioner: OidcProvisioner;
  sessions: Pick<SessionsService, "open" | "recordFailure">;
}): OidcService {
  const { db, clock, settings } = deps;
  // Discovery is a cache: rebuilt after a restart, retried after a failure.
  let configuration: Promise<oidc.Configuration> | undefined;

  function config(): Promise<oidc.Configuration> {
    configuration ??= oidc
      .discovery(settings.issuer, settings.clientId, undefined, oidc.ClientSecretBasic(settings.clientSecret), {
        // Settings refuse http issuers except on loopback; openid-client refuses them all unless told.
        ...(settings.issuer.protocol === "http:" ? { execute: [oidc.allowInsecureRequests] } : {}),
      })
      .catch((error: unknown) => {
        configuration = undefined;
        throw new Error(`OIDC discovery at ${settings.issuer.href} failed`, { cause: error });
      });
    return configuration;
  }

  async function claimsOf(tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>): Promise<OidcProfile> {
    const idClaims = tokens.claims();
    if (!idClaims) throw new DomainError("unauthorized", "the identity provider returned no ID token");
    // Claims such as groups are often only in userinfo (the ID token of a code flow stays small).
    const userinfo = await oidc.fetchUserInfo(await config(), tokens.access_token, idClaims.sub);
    const claims: Record<string, unknown> = { ...userinfo, ...idClaims };
    const groups = groupsClaim(idClaims, settings.groupsClaim);
    const profile: OidcProfile = {
      issuer: idClaims.iss,
      subject: idClaims.sub,
      preferredUsername: stringClaim(claims, "preferred_username"),
      displayName: stringClaim(claims, "name"),
      email: stringClaim(claims, "email"),
      groups: groups.length > 0 ? groups : groupsClaim(userinfo, settings.groupsClaim),
    };
    return profile;
  }

  return {
    displayName: settings.displayName,

    async begin(input) {
      const now = clock.now();
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      const codeVerifier = oidc.randomPKCECodeVerifier();
      const url = oidc.buildAuthorizationUrl(await config(), {
        redirect_uri: settings.redirectUrl.href,
        scope: settings.scopes,
        response_type: "code",
        code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: "S256",
        state,
        nonce,
      });
      await store.deleteExpiredPendingLogins(db, now.toISOString());
      await store.insertPendingLogin(db, {
        stateHash: sha256Hex(state),
        codeVerifier,
        nonce,
        returnTo: safeReturnTo(input.returnTo),
        createdAt: now.toISOString(),
        expiresAt: new Date(now.getTime() + OIDC_LOGIN_TTL_MS).toISOString(),
      });
      return { url: url.href, state };
    },

    async complete(input) {
      const params = new URLSearchParams(input.query);
      const state = params.get("state");
      const fail = async (reason: string, username: string | null = null): Promise<never> => {
        await deps.sessions.recordFailure({ username, method: "oidc", reason });
        throw refused(reason);
      };
      if (!state) return fail("the callback carries no state");
      // The state must come back to the browser that began the sign-in: otherwise someone could sign a victim's browser
      // into the attacker's account (login CSRF).
      if (input.browserState !== state) return fail("this browser did not begin this sign-in");
      const pending = await store.takePendingLogin(db, sha256Hex(state));
      if (!pending) return fail("the sign-in is unknown or was already used");
      if (pending.expiresAt <= clock.now().toISOString()) return fail("the sign-in took too long");
      const providerError = params.get("error");
      if (providerError) return fail(`the identity provider said ${providerError}: ${params.get("error_description") ?? ""}`);
      let profile: OidcProfile;
      try {
        const callbackUrl = new URL(settings.redirectUrl.href);
        callbackUrl.search = params.toString();
        const tokens = await oidc.authorizationCodeGrant(await config(), callbackUrl, {
          pkceCodeVerifier: pending.codeVerifier,
          expectedNonce: pending.nonce,
          expectedState: state,
          idTokenExpected: true,
        });
        profile = await claimsOf(tokens);
      } catch (error) {
        // Protocol errors (bad code, wrong nonce, invalid token) refuse the sign-in; an unreachable provider is a 500.
        if (error instanceof oidc.ResponseBodyError || error instanceof oidc.AuthorizationResponseError) {
          return fail(`the identity provider refused the code (${error.error})`);
        }
        if (error instanceof oidc.ClientError && error.code?.startsWith("OAUTH_")) {
          return fail(`the identity provider's answer did not check out (${error.message})`);
        }
        if (error instanceof DomainError) return fail(error.message);
        throw error;
      }
      let user: Awaited<ReturnType<OidcProvisioner["provision"]>>;
      try {
        user = await deps.provisioner.provision(profile);
      } catch (error) {
        if (error instanceof DomainError && error.code === "unauthorized") {
          const username = profile.preferredUsername ?? profile.subject;
          await deps.sessions.recordFailure({ username, method: "oidc", reason: error.message });
        }
        throw error;
      }
      const { secret, info } = await deps.sessions.open(user, "oidc");
      return { secret, info, returnTo: pending.returnTo };
    },
  };
}
