import { type Static, Type } from "typebox";

const Duration = Type.String({ pattern: "^\\d+(ms|s|m|h)$", description: "e.g. 30s, 10m, 1h" });

/** A string from a fixed list whose error names the value and the choices (a union of literals reports "must be equal to constant"). */
function oneOf<T extends string>(values: readonly T[], what: string) {
  const choices = values.length > 1 ? `${values.slice(0, -1).join(", ")} or ${values[values.length - 1]}` : values.join("");
  return Type.Unsafe<T>(
    Type.Refine(
      Type.String(),
      (value) => (values as readonly string[]).includes(value),
      (value) => `is ${JSON.stringify(value)}, not a known ${what}; use ${choices}`,
    ),
  );
}

const NAME = /^[a-z0-9][a-z0-9_.-]{0,62}$/;
export const ALERT_RULE_TYPES = ["metric", "error_rate", "node_silent", "duration_p95"] as const;
const Common = {
  name: Type.Refine(
    Type.String(),
    (value) => NAME.test(value),
    (value) =>
      `is ${JSON.stringify(value)}; a rule name is 1–63 lower-case letters, digits, ".", "_" or "-", starting with a letter or digit`,
  ),
  severity: Type.Optional(oneOf(["critical", "warning", "info"] as const, "severity")),
  /** Only runs in these environments; all when absent. */
  environments: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { maxItems: 50 })),
};

const MetricRule = Type.Object(
  {
    ...Common,
    type: Type.Optional(Type.Literal("metric")),
    metric: Type.String({ minLength: 1, maxLength: 300 }),
    op: oneOf(["<", ">", "<=", ">="] as const, "comparison"),
    threshold: Type.Number(),
    window: Type.Optional(Duration),
    aggregate: Type.Optional(oneOf(["avg", "min", "max"] as const, "aggregate")),
  },
  { additionalProperties: false },
);
const ErrorRateRule = Type.Object(
  { ...Common, type: Type.Literal("error_rate"), threshold: Type.Integer({ minimum: 1 }), window: Type.Optional(Duration) },
  { additionalProperties: false },
);
const NodeSilentRule = Type.Object(
  { ...Common, type: Type.Literal("node_silent"), after: Duration },
  { additionalProperties: false },
);
const DurationRule = Type.Object(
  { ...Common, type: Type.Literal("duration_p95"), runs: Type.Optional(Type.Integer({ minimum: 3, maximum: 100 })) },
  { additionalProperties: false },
);

const typeIs = (type: string) => ({ type: "object", required: ["type"], properties: { type: { const: type } } });
/**
 * Checks a rule against its own type's schema only. `if: not <type>, else: <schema>` rather than `then`: TypeBox reports
 * the inner errors of a failing `else` but only "must match then schema" for a failing `then`.
 */
const only = (type: string, schema: object) => ({ if: { not: typeIs(type) }, else: schema });

/**
 * Alert rules as written under `alerts:` in stagegate.yaml, told apart by `type` (absent = metric) so that an error
 * names what is wrong with *that* rule ("alerts[0].after is required"), not a field of another rule type.
 */
export const AlertRuleSchema = Type.Unsafe<
  Static<typeof MetricRule> | Static<typeof ErrorRateRule> | Static<typeof NodeSilentRule> | Static<typeof DurationRule>
>({
  allOf: [
    { type: "object", properties: { type: oneOf(ALERT_RULE_TYPES, "rule type") } },
    only("error_rate", ErrorRateRule),
    only("node_silent", NodeSilentRule),
    only("duration_p95", DurationRule),
    { if: { anyOf: ALERT_RULE_TYPES.filter((t) => t !== "metric").map(typeIs) }, else: MetricRule },
  ],
});
export type AlertRule = Static<typeof AlertRuleSchema>;
export const AlertRulesSchema = Type.Array(AlertRuleSchema, { maxItems: 100 });

/** Used when a project's stagegate.yaml has no `alerts:` key: the classic GPU-job failures. */
export const DEFAULT_ALERT_RULES: AlertRule[] = [
  { name: "gpus-idle", metric: "gpu.utilization", op: "<", threshold: 20, window: "10m", aggregate: "avg", severity: "critical" },
  { name: "gpu-memory-high", metric: "gpu.memory.utilization", op: ">", threshold: 95, window: "1m", severity: "warning" },
  { name: "host-memory-high", metric: "host.memory.utilization", op: ">", threshold: 90, window: "1m", severity: "warning" },
  { name: "node-silent", type: "node_silent", after: "5m", severity: "warning" },
];

export { type Alert, AlertSchema } from "../../shared/runs.api.ts";

export function durationMs(text: string | undefined, fallback: number): number {
  const match = text ? /^(\d+)(ms|s|m|h)$/.exec(text) : null;
  if (!match) return fallback;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] as "ms" | "s" | "m" | "h"];
  return Number(match[1]) * unit;
}
