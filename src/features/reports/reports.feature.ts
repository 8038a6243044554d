import { reportViewsRoutes } from "./report-views.routes.ts";
import { createReportQueries } from "./reports.queries.ts";
import { reportsRoutes } from "./reports.routes.ts";
import { createReportsService, type ReportsDeps } from "./reports.service.ts";
import { createReportViews } from "./reports.views.ts";

export function createReportsFeature(deps: ReportsDeps & { defaultBranch: string }) {
  const service = createReportsService(deps);
  const queries = createReportQueries({ db: deps.db, reports: service, defaultBranch: deps.defaultBranch });
  const views = createReportViews({ db: deps.db, projects: deps.projects, reports: service });
  const routes = [reportsRoutes({ reports: service, queries, views }), reportViewsRoutes(views)];
  return { service, queries, views, routes };
}
