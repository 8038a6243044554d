import type { Kysely } from "kysely";
import type { Database } from "../../db/schema.ts";
import type { Clock } from "../../shared/clock.ts";
import type { ProjectsService } from "../projects/projects.service.ts";
import type { ScryptParams } from "./password.hasher.ts";
import { sessionsRoutes } from "./sessions.routes.ts";
import { createSessionsService } from "./sessions.service.ts";
import { tokensRoutes } from "./tokens.routes.ts";
import { createTokensService, type TokensService } from "./tokens.service.ts";
import { usersRoutes } from "./users.routes.ts";
import { createUsersService } from "./users.service.ts";

/** Users and memberships, browser sessions, API tokens: who is calling. (What they may do is `http/roles.ts`.) */
export function createAuthFeature(deps: {
  db: Kysely<Database>;
  clock: Clock;
  projects: Pick<ProjectsService, "record" | "recordById">;
  /** Where users reach the server: an https URL makes the session cookie `Secure`. */
  publicUrl: string;
  scrypt?: ScryptParams;
}) {
  // Tokens cache who they stand for; a role change must reach them, and tokens are built from users.
  let tokens: TokensService | undefined;
  const users = createUsersService({ ...deps, onRolesChanged: () => tokens?.forgetCached() });
  tokens = createTokensService({ ...deps, users });
  const sessions = createSessionsService({ ...deps, users });
  const secureCookies = deps.publicUrl.startsWith("https://");
  return {
    service: tokens,
    users,
    sessions,
    /** For `registerAuth` in `http/auth.ts`. */
    authenticators: { tokens, sessions, secureCookies },
    routes: [tokensRoutes(tokens), usersRoutes(users), sessionsRoutes({ sessions, secureCookies })],
  };
}
