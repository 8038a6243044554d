import type { Kysely } from "kysely";
import type { Database } from "../../db/schema.ts";
import type { Clock } from "../../shared/clock.ts";
import { tokensRoutes } from "./tokens.routes.ts";
import { createTokensService } from "./tokens.service.ts";

export function createAuthFeature(deps: { db: Kysely<Database>; clock: Clock }) {
  const service = createTokensService(deps);
  return { service, routes: tokensRoutes(service) };
}
