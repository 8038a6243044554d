import type { Kysely } from "kysely";
import type { Database } from "../../db/schema.ts";
import type { Clock } from "../../shared/clock.ts";
import type { AuditRecorder } from "../audit/audit.recorder.ts";
import type { ProjectsService } from "../projects/projects.service.ts";
import { createOidcProvisioner } from "./oidc.provision.ts";
import { oidcRoutes } from "./oidc.routes.ts";
import { createOidcService } from "./oidc.service.ts";
import type { OidcSettings } from "./oidc.settings.ts";
import type { ScryptParams } from "./password.hasher.ts";
import { sessionsRoutes } from "./sessions.routes.ts";
import { createSessionsService } from "./sessions.service.ts";
import { tokensRoutes } from "./tokens.routes.ts";
import { createTokensService, type TokensService } from "./tokens.service.ts";
import { usersRoutes } from "./users.routes.ts";
import { createUsersService } from "./users.service.ts";

/** Users and memberships, browser sessions, API tokens, OIDC sign-in: who is calling. (What they may do is `http/roles.ts`.) */
export function createAuthFeature(deps: {
  db: Kysely<Database>;
  clock: Clock;
  projects: Pick<ProjectsService, "record" | "recordById">;
  /** Where users reach the server: an https URL makes the session cookie `Secure`. */
  publicUrl: string;
  scrypt?: ScryptParams;
  /** Token, role, user and sign-in changes are appended in the transaction that makes them. */
  audit?: AuditRecorder;
  /** OIDC sign-in (see `oidcSettings`); null or absent: password sign-in only. */
  oidc?: OidcSettings | null;
}) {
  // Tokens cache who they stand for; a role change must reach them, and tokens are built from users.
  let tokens: TokensService | undefined;
  const onRolesChanged = () => tokens?.forgetCached();
  const users = createUsersService({ ...deps, onRolesChanged });
  tokens = createTokensService({ ...deps, users });
  const sessions = createSessionsService({ ...deps, users });
  const secureCookies = deps.publicUrl.startsWith("https://");
  const oidc = deps.oidc
    ? createOidcService({
        ...deps,
        settings: deps.oidc,
        sessions,
        provisioner: createOidcProvisioner({ ...deps, groupRoles: deps.oidc.groupRoles, onRolesChanged }),
      })
    : null;
  return {
    service: tokens,
    users,
    sessions,
    /** For `registerAuth` in `http/auth.ts`. */
    authenticators: { tokens, sessions, secureCookies },
    routes: [
      tokensRoutes(tokens),
      usersRoutes(users),
      sessionsRoutes({ sessions, secureCookies }),
      oidcRoutes({ oidc, secureCookies }),
    ],
  };
}
