import { type Static, Type } from "typebox";
import { Nullable } from "../api.ts";
import { OPERATORS, type Operator } from "./flags.types.ts";

/**
 * The HTTP contract of flags: management bodies under `/api/v1` and the OFREP shapes. Route schemas, the OpenAPI
 * document and the SDK are built from these.
 */

const Timestamp = Type.String({ format: "date-time" });
export const FlagKey = Type.String({ pattern: "^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$", description: "letters, digits, _ . -" });
export const FlagTypeSchema = Type.Union([
  Type.Literal("boolean"),
  Type.Literal("string"),
  Type.Literal("number"),
  Type.Literal("object"),
]);
const VariantValue = Type.Union([Type.Boolean(), Type.String(), Type.Number(), Type.Record(Type.String(), Type.Unknown())]);
const Variants = Type.Record(Type.String({ pattern: "^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$" }), VariantValue, {
  description: "variant name → value; every value of the flag's type",
});
const Operand = Type.Union([Type.String({ maxLength: 1000 }), Type.Number(), Type.Boolean()]);

export const AttributeConditionSchema = Type.Object(
  {
    attribute: Type.String({ minLength: 1, maxLength: 200 }),
    operator: Type.Unsafe<Operator>({ type: "string", enum: [...OPERATORS] }),
    value: Type.Optional(Operand),
    values: Type.Optional(Type.Array(Operand, { maxItems: 1000 })),
  },
  { additionalProperties: false },
);
export const ConditionSchema = Type.Union([
  AttributeConditionSchema,
  Type.Object({ segment: FlagKey }, { additionalProperties: false }),
]);
export const RolloutSchema = Type.Object(
  {
    bucketBy: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: "context attribute; default targetingKey" }),
    ),
    weights: Type.Array(
      Type.Object(
        { variant: Type.String(), weight: Type.Number({ minimum: 0, maximum: 100, description: "percent, ≤ 2 decimals" }) },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 100 },
    ),
  },
  { additionalProperties: false },
);
export const RuleSchema = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: 200 })),
    conditions: Type.Array(ConditionSchema, { maxItems: 50 }),
    variant: Type.Optional(Type.String()),
    rollout: Type.Optional(RolloutSchema),
  },
  { additionalProperties: false },
);

export const FlagEnvironmentState = Type.Object({
  enabled: Type.Boolean(),
  defaultVariant: Type.String(),
  offVariant: Type.String(),
  rules: Type.Array(RuleSchema),
  rollout: Nullable(RolloutSchema),
  updatedAt: Timestamp,
  updatedBy: Nullable(Type.String()),
});
export type FlagEnvironmentState = Static<typeof FlagEnvironmentState>;

export const Flag = Type.Object({
  key: Type.String(),
  type: FlagTypeSchema,
  description: Type.String(),
  owner: Nullable(Type.String()),
  tags: Type.Array(Type.String()),
  variants: Variants,
  environments: Type.Record(Type.String(), FlagEnvironmentState, { description: "environment name → state" }),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Flag = Static<typeof Flag>;

const Meta = {
  description: Type.Optional(Type.String({ maxLength: 2000 })),
  owner: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
  tags: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 50 })),
};

export const CreateFlagBody = Type.Object(
  {
    key: FlagKey,
    type: FlagTypeSchema,
    variants: Variants,
    defaultVariant: Type.Optional(Type.String({ description: "default: the first variant" })),
    offVariant: Type.Optional(Type.String({ description: "default: `off` when it exists, else the default variant" })),
    ...Meta,
  },
  { additionalProperties: false },
);
export type CreateFlagBody = Static<typeof CreateFlagBody>;

export const UpdateFlagBody = Type.Object({ variants: Type.Optional(Variants), ...Meta }, { additionalProperties: false });
export type UpdateFlagBody = Static<typeof UpdateFlagBody>;

const ChangeReason = Type.Optional(Type.String({ maxLength: 1000, description: "why: kept in the flag-set version" }));
const ScheduleAt = Type.Optional(
  Type.String({
    format: "date-time",
    description: "apply at this time instead of now: the answer is 202 with the scheduled change request",
  }),
);

export const SetFlagStateBody = Type.Object(
  {
    enabled: Type.Optional(Type.Boolean()),
    defaultVariant: Type.Optional(Type.String()),
    offVariant: Type.Optional(Type.String()),
    rules: Type.Optional(Type.Array(RuleSchema, { maxItems: 100 })),
    rollout: Type.Optional(Nullable(RolloutSchema)),
    reason: ChangeReason,
    scheduleAt: ScheduleAt,
  },
  { additionalProperties: false },
);
export type SetFlagStateBody = Static<typeof SetFlagStateBody>;

export const FlagStatePatch = Type.Object(
  {
    enabled: Type.Optional(Type.Boolean()),
    defaultVariant: Type.Optional(Type.String()),
    offVariant: Type.Optional(Type.String()),
    rules: Type.Optional(Type.Array(RuleSchema, { maxItems: 100 })),
    rollout: Type.Optional(Nullable(RolloutSchema)),
  },
  { additionalProperties: false },
);

/** Flags that move with a release: per environment, the flag states to apply when the release succeeds there. */
export const FlagManifest = Type.Object(
  {
    environments: Type.Record(Type.String(), Type.Record(Type.String(), FlagStatePatch), {
      description: "environment name → flag key → state to apply when a deployment of the release succeeds there",
    }),
  },
  { additionalProperties: false },
);
export type FlagManifest = Static<typeof FlagManifest>;

export const RolloutBody = Type.Object(
  {
    percentage: Type.Optional(
      Type.Number({ minimum: 0, maximum: 100, description: "share of `variant`; the rest gets the off variant" }),
    ),
    variant: Type.Optional(Type.String({ description: "default: `on`, else the default variant" })),
    weights: Type.Optional(RolloutSchema.properties.weights),
    bucketBy: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    reason: ChangeReason,
    scheduleAt: ScheduleAt,
  },
  { additionalProperties: false },
);
export type RolloutBody = Static<typeof RolloutBody>;

export const ReasonBody = Type.Object({ reason: ChangeReason, scheduleAt: ScheduleAt }, { additionalProperties: false });

export const FlagChange = Type.Object({
  flag: Type.String(),
  change: Type.Union([Type.Literal("added"), Type.Literal("removed"), Type.Literal("changed")]),
  fields: Type.Record(Type.String(), Type.Object({ before: Type.Unknown(), after: Type.Unknown() })),
});
export type FlagChange = Static<typeof FlagChange>;

export const FlagSetVersion = Type.Object({
  environment: Type.String(),
  version: Type.Integer(),
  createdAt: Timestamp,
  actor: Type.String(),
  reason: Nullable(Type.String()),
  changes: Type.Array(FlagChange),
});
export type FlagSetVersion = Static<typeof FlagSetVersion>;

export const PromoteFlagsBody = Type.Object(
  {
    from: Type.String({ minLength: 1 }),
    to: Type.String({ minLength: 1 }),
    keys: Type.Optional(Type.Array(FlagKey, { maxItems: 1000, description: "default: every flag" })),
    dryRun: Type.Optional(Type.Boolean({ description: "only show the diff" })),
    reason: ChangeReason,
    scheduleAt: ScheduleAt,
  },
  { additionalProperties: false },
);
export type PromoteFlagsBody = Static<typeof PromoteFlagsBody>;

export const PromoteFlagsResult = Type.Object({
  from: Type.String(),
  to: Type.String(),
  applied: Type.Boolean(),
  changeRequest: Type.Optional(
    Type.String({ description: "when the promotion was scheduled or waits for approval: the change request's id" }),
  ),
  version: Nullable(Type.Integer({ description: "the new version of `to`; null for a dry run or no change" })),
  changes: Type.Array(FlagChange),
});
export type PromoteFlagsResult = Static<typeof PromoteFlagsResult>;

export const RestoreFlagsBody = Type.Object(
  { version: Type.Integer({ minimum: 1 }), reason: ChangeReason, scheduleAt: ScheduleAt },
  { additionalProperties: false },
);

export const SegmentBody = Type.Object(
  {
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    conditions: Type.Array(AttributeConditionSchema, { maxItems: 50 }),
  },
  { additionalProperties: false },
);
export type SegmentBody = Static<typeof SegmentBody>;
export const SegmentSchema = Type.Object({
  key: Type.String(),
  description: Type.Optional(Type.String()),
  conditions: Type.Array(AttributeConditionSchema),
});

export const FlagSetSchema = Type.Object({
  project: Type.String(),
  environment: Type.String(),
  version: Type.Integer(),
  flags: Type.Record(Type.String(), Type.Unknown()),
  segments: Type.Record(Type.String(), Type.Unknown()),
});

export const CreateSdkKeyBody = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
);
export const SdkKeyInfo = Type.Object({
  id: Type.String(),
  name: Type.String(),
  environment: Type.String(),
  createdAt: Timestamp,
  createdBy: Nullable(Type.String()),
  revokedAt: Nullable(Timestamp),
});
export type SdkKeyInfo = Static<typeof SdkKeyInfo>;
export const CreatedSdkKey = Type.Intersect([SdkKeyInfo, Type.Object({ key: Type.String({ description: "shown once" }) })]);
export type CreatedSdkKey = Static<typeof CreatedSdkKey>;

export const StaleFlag = Type.Object({
  key: Type.String(),
  environment: Type.String(),
  state: Type.Union([Type.Literal("fully_on"), Type.Literal("fully_off"), Type.Literal("not_evaluated")]),
  unchangedSince: Timestamp,
  lastEvaluatedAt: Nullable(Timestamp),
});
export type StaleFlag = Static<typeof StaleFlag>;

// ── OFREP (https://github.com/open-feature/protocol) ─────────────────────────────────────────────────────────────
export const OfrepRequest = Type.Object({ context: Type.Optional(Type.Record(Type.String(), Type.Unknown())) });
export const OfrepSuccess = Type.Object({
  key: Type.String(),
  value: Type.Unknown(),
  reason: Type.String(),
  variant: Type.String(),
  metadata: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});
export const OfrepFailure = Type.Object({
  key: Type.String(),
  errorCode: Type.String(),
  errorDetails: Type.Optional(Type.String()),
  metadata: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});
export const OfrepBulkFailure = Type.Object({ errorCode: Type.String(), errorDetails: Type.Optional(Type.String()) });
export const OfrepEventStream = Type.Object({
  type: Type.Literal("sse"),
  url: Type.Optional(Type.String()),
  endpoint: Type.Optional(
    Type.Object({
      origin: Type.Optional(Type.String()),
      requestUri: Type.String({ description: "relative to the OFREP base URL's origin" }),
    }),
  ),
  inactivityDelaySec: Type.Optional(Type.Integer()),
});
export const OfrepBulkSuccess = Type.Object({
  flags: Type.Array(Type.Union([OfrepSuccess, OfrepFailure])),
  metadata: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  eventStreams: Type.Optional(Type.Array(OfrepEventStream)),
});

// ── change requests: scheduled changes and changes waiting for approval ────────────────────────────────────────────
export const FLAG_CHANGE_STATUSES = [
  "pending_approval",
  "scheduled",
  "applied",
  "rejected",
  "cancelled",
  "expired",
  "failed",
] as const;
export type FlagChangeStatus = (typeof FLAG_CHANGE_STATUSES)[number];
export const FlagChangeStatusSchema = Type.Union([
  Type.Literal("pending_approval"),
  Type.Literal("scheduled"),
  Type.Literal("applied"),
  Type.Literal("rejected"),
  Type.Literal("cancelled"),
  Type.Literal("expired"),
  Type.Literal("failed"),
]);

export const FlagChangeRequest = Type.Object({
  id: Type.String(),
  environment: Type.String(),
  action: Type.String({ description: "the audit action it applies as, e.g. flag.state_changed, flag.promoted" }),
  patches: Type.Array(Type.Object({ flag: Type.String(), patch: FlagStatePatch })),
  reason: Nullable(Type.String()),
  author: Type.String(),
  status: FlagChangeStatusSchema,
  applyAt: Nullable(Timestamp),
  expiresAt: Nullable(Type.String({ description: "approvals must be complete by then" })),
  appliedVersion: Nullable(Type.Integer()),
  error: Nullable(Type.String()),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  approval: Nullable(
    Type.Object({
      groups: Type.Array(
        Type.Object({
          name: Type.String(),
          required: Type.Integer(),
          approvedBy: Type.Array(Type.String()),
          satisfied: Type.Boolean(),
        }),
      ),
      decisions: Type.Array(
        Type.Object({
          user: Type.String(),
          decision: Type.Union([Type.Literal("approve"), Type.Literal("reject")]),
          comment: Nullable(Type.String()),
          at: Timestamp,
        }),
      ),
    }),
  ),
});
export type FlagChangeRequest = Static<typeof FlagChangeRequest>;

export const FlagChangeQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
  cursor: Type.Optional(Type.String({ maxLength: 200 })),
  status: Type.Optional(FlagChangeStatusSchema),
  environment: Type.Optional(Type.String({ maxLength: 63 })),
});

export const FlagChangeDecisionBody = Type.Object(
  { comment: Type.Optional(Type.String({ maxLength: 2000 })) },
  { additionalProperties: false },
);
