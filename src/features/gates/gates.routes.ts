import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { ErrorBody } from "../../shared/api.ts";
import type { GatesService } from "./gates.service.ts";
import { GateResultSchema } from "./gates.types.ts";

export function gatesRoutes(deps: { gates: GatesService }): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      "/deployments/:id/gates",
      {
        schema: {
          tags: ["gates"],
          summary: "The gate results recorded when this deployment was promoted (null when its environment has no gates)",
          params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
          response: {
            200: Type.Union([
              Type.Object({
                passed: Type.Boolean(),
                results: Type.Array(GateResultSchema),
                override: Type.Union([Type.Object({ by: Type.String(), reason: Type.String() }), Type.Null()]),
                evaluatedAt: Type.String(),
              }),
              Type.Null(),
            ]),
            401: ErrorBody,
          },
        },
      },
      async (request) => deps.gates.forDeployment(request.params.id),
    );
  };
}
