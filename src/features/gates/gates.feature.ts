import { gatesRoutes } from "./gates.routes.ts";
import { createGatesService } from "./gates.service.ts";

export function createGatesFeature(deps: Parameters<typeof createGatesService>[0]) {
  const service = createGatesService(deps);
  return { service, routes: gatesRoutes({ gates: service }) };
}
