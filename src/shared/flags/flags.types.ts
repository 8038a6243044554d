/**
 * The flag model as the evaluator sees it: pure data, the same in the server, the Node SDK and any other SDK that reads
 * `docs/flags-conformance.json`. JSON values only, so a flag set serializes unchanged.
 */
export type FlagType = "boolean" | "string" | "number" | "object";
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };
export type FlagValue = boolean | string | number | JsonObject;

export const STRING_OPERATORS = ["equals", "notEquals", "in", "notIn", "startsWith", "endsWith", "contains", "matches"] as const;
export const NUMBER_OPERATORS = ["lt", "lte", "gt", "gte"] as const;
export const SEMVER_OPERATORS = ["semverEq", "semverLt", "semverLte", "semverGt", "semverGte"] as const;
export const DATE_OPERATORS = ["before", "after"] as const;
export const OPERATORS = [...STRING_OPERATORS, ...NUMBER_OPERATORS, ...SEMVER_OPERATORS, ...DATE_OPERATORS] as const;
export type Operator = (typeof OPERATORS)[number];

/** One test of a context attribute, e.g. `{ attribute: "dataset", operator: "in", values: ["eu", "us"] }`. */
export interface AttributeCondition {
  attribute: string;
  operator: Operator;
  /** One operand (`equals`, `lt`, `matches`, …) */
  value?: string | number | boolean;
  /** A list of operands (`in`, `notIn`; any-of for `startsWith`, `endsWith`, `contains`). */
  values?: Array<string | number | boolean>;
}

/** Matches when the named segment's conditions all match. */
export interface SegmentCondition {
  segment: string;
}

export type Condition = AttributeCondition | SegmentCondition;

/** A split over variants; weights are percentages with at most two decimals, summing to 100. */
export interface Rollout {
  /** Context attribute hashed for the bucket; default `targetingKey`. */
  bucketBy?: string;
  weights: Array<{ variant: string; weight: number }>;
}

/** All conditions must match (AND); the first matching rule wins. It serves a variant or a rollout. */
export interface TargetingRule {
  name?: string;
  conditions: Condition[];
  variant?: string;
  rollout?: Rollout;
}

export interface Segment {
  key: string;
  description?: string;
  conditions: AttributeCondition[];
}

/** One flag's configuration in one environment: everything needed to evaluate it. */
export interface FlagConfig {
  key: string;
  type: FlagType;
  variants: Record<string, FlagValue>;
  enabled: boolean;
  defaultVariant: string;
  offVariant: string;
  rules: TargetingRule[];
  rollout: Rollout | null;
}

/** A whole environment's flags at one version: what OFREP serves and SDKs sync. */
export interface FlagSet {
  project: string;
  environment: string;
  version: number;
  flags: Record<string, FlagConfig>;
  segments: Record<string, Segment>;
}

export type EvaluationContext = Record<string, unknown>;

export type Reason = "STATIC" | "TARGETING_MATCH" | "SPLIT" | "DISABLED" | "DEFAULT" | "ERROR" | "CACHED" | "STALE";
export type EvaluationErrorCode =
  | "FLAG_NOT_FOUND"
  | "PARSE_ERROR"
  | "TYPE_MISMATCH"
  | "TARGETING_KEY_MISSING"
  | "INVALID_CONTEXT"
  | "GENERAL";

export interface EvaluationSuccess {
  key: string;
  value: FlagValue;
  variant: string;
  reason: Reason;
}

export interface EvaluationFailure {
  key: string;
  reason: "ERROR";
  errorCode: EvaluationErrorCode;
  errorDetails: string;
}

export type Evaluation = EvaluationSuccess | EvaluationFailure;

export function isFailure(evaluation: Evaluation): evaluation is EvaluationFailure {
  return evaluation.reason === "ERROR";
}
