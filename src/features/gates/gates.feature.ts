import type { Kysely } from "kysely";
import type { Database } from "../../db/schema.ts";
import type { Clock } from "../../shared/clock.ts";
import type { ReportQueries } from "../reports/reports.queries.ts";
import type { ReportViews } from "../reports/reports.views.ts";
import { gatesRoutes } from "./gates.routes.ts";
import { createGatesService } from "./gates.service.ts";

export function createGatesFeature(deps: { db: Kysely<Database>; clock: Clock; views: ReportViews; queries: ReportQueries }) {
  const service = createGatesService(deps);
  return { service, routes: gatesRoutes({ gates: service }) };
}
