import { type Static, Type } from "typebox";

const Duration = Type.String({ pattern: "^\\d+(ms|s|m|h)$", description: "e.g. 30s, 10m, 1h" });
const Common = {
  name: Type.String({ pattern: "^[a-z0-9][a-z0-9_.-]{0,62}$" }),
  severity: Type.Optional(Type.Union([Type.Literal("critical"), Type.Literal("warning"), Type.Literal("info")])),
  /** Only runs in these environments; all when absent. */
  environments: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { maxItems: 50 })),
};

/** Alert rules as written under `alerts:` in stagegate.yaml. */
export const AlertRuleSchema = Type.Union([
  Type.Object(
    {
      ...Common,
      type: Type.Optional(Type.Literal("metric")),
      metric: Type.String({ minLength: 1, maxLength: 300 }),
      op: Type.Union([Type.Literal("<"), Type.Literal(">"), Type.Literal("<="), Type.Literal(">=")]),
      threshold: Type.Number(),
      window: Type.Optional(Duration),
      aggregate: Type.Optional(Type.Union([Type.Literal("avg"), Type.Literal("min"), Type.Literal("max")])),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    { ...Common, type: Type.Literal("error_rate"), threshold: Type.Integer({ minimum: 1 }), window: Type.Optional(Duration) },
    { additionalProperties: false },
  ),
  Type.Object({ ...Common, type: Type.Literal("node_silent"), after: Duration }, { additionalProperties: false }),
  Type.Object(
    { ...Common, type: Type.Literal("duration_p95"), runs: Type.Optional(Type.Integer({ minimum: 3, maximum: 100 })) },
    { additionalProperties: false },
  ),
]);
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
