import { dashboardRoutes } from "./dashboard.routes.ts";
import { createDashboardService, type DashboardDeps } from "./dashboard.service.ts";
import type { UiConfig } from "./dashboard.types.ts";

/** Read-only aggregate views for the web dashboard. */
export function createDashboardFeature(deps: DashboardDeps & { uiConfig?: UiConfig }) {
  const service = createDashboardService(deps);
  return { service, routes: dashboardRoutes({ dashboard: service, uiConfig: deps.uiConfig ?? { oidc: null } }) };
}
