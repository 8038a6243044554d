import { type Static, Type } from "typebox";

const Kind = Type.String({ pattern: "^[a-z0-9][a-z0-9_-]{0,39}$" });
const Percent = Type.Number({ minimum: 0, maximum: 100 });

/** Quality gates as declared per environment in stagegate.yaml (`gates:`). */
export const GateSpecSchema = Type.Union([
  Type.Object(
    { type: Type.Literal("tests_pass"), kinds: Type.Optional(Type.Array(Kind, { minItems: 1 })) },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      type: Type.Literal("coverage_min"),
      lines: Type.Optional(Percent),
      branches: Type.Optional(Percent),
      kind: Type.Optional(Kind),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    { type: Type.Literal("patch_coverage_min"), lines: Percent, kind: Type.Optional(Kind) },
    { additionalProperties: false },
  ),
  Type.Object({ type: Type.Literal("no_new_failures"), kind: Type.Optional(Kind) }, { additionalProperties: false }),
  Type.Object(
    { type: Type.Literal("max_flaky"), count: Type.Integer({ minimum: 0 }), kind: Type.Optional(Kind) },
    { additionalProperties: false },
  ),
  // Pipeline runs (features/runs): the commit's latest run (in `environment`, else in each) succeeded, no critical alert.
  Type.Object(
    { type: Type.Literal("run_healthy"), environment: Type.Optional(Type.String({ minLength: 1 })) },
    { additionalProperties: false },
  ),
]);
export type GateSpec = Static<typeof GateSpecSchema>;

export const GateResultSchema = Type.Object({
  type: Type.String(),
  passed: Type.Boolean(),
  expected: Type.String(),
  actual: Type.String(),
  message: Type.String(),
  evidence: Type.Object({
    commitSha: Type.String(),
    runIds: Type.Array(Type.String()),
    url: Type.Union([Type.String(), Type.Null()]),
  }),
});
export type GateResult = Static<typeof GateResultSchema>;

export interface GateEvaluation {
  passed: boolean;
  results: GateResult[];
}
