import { errorMessage } from "../errors.ts";
import type {
  AttributeCondition,
  Condition,
  Evaluation,
  EvaluationContext,
  EvaluationErrorCode,
  EvaluationFailure,
  EvaluationSuccess,
  FlagConfig,
  FlagSet,
  FlagType,
  Rollout,
  Segment,
} from "./flags.types.ts";
import { bucketOf } from "./murmur3.ts";
import { compareSemver, parseSemver, type SemVer } from "./semver.ts";

/**
 * The flag evaluator: pure functions shared byte for byte by the server (OFREP) and the SDKs. A flag set is compiled
 * once per version into closures, so evaluating does no parsing and, for static flags, no allocation.
 *
 * Order: disabled → `offVariant` (DISABLED); else the first rule whose conditions all match → its variant
 * (TARGETING_MATCH) or its rollout (SPLIT); else the environment rollout (SPLIT); else `defaultVariant` — STATIC when
 * the flag has no rules, DEFAULT when rules exist and none matched. A missing attribute never matches (for every
 * operator, `notIn` too); an attribute of the wrong type is INVALID_CONTEXT.
 */

/** Longest attribute a `matches` condition runs its regex on. */
export const MAX_MATCH_INPUT = 1024;

class EvaluationError extends Error {
  constructor(
    readonly code: EvaluationErrorCode,
    message: string,
  ) {
    super(message);
  }
}

type Predicate = (context: EvaluationContext) => boolean;
type Resolver = (context: EvaluationContext) => Evaluation;

export interface CompiledFlagSet {
  readonly version: number;
  readonly keys: readonly string[];
  /** `expectedType` turns a flag of another type into TYPE_MISMATCH (typed SDK calls). */
  evaluate(key: string, context: EvaluationContext, expectedType?: FlagType): Evaluation;
  evaluateAll(context: EvaluationContext): Evaluation[];
  has(key: string): boolean;
  typeOf(key: string): FlagType | undefined;
}

export function failure(key: string, errorCode: EvaluationErrorCode, errorDetails: string): EvaluationFailure {
  return { key, reason: "ERROR", errorCode, errorDetails };
}

export function compileFlagSet(set: Pick<FlagSet, "version" | "flags" | "segments">): CompiledFlagSet {
  const resolvers = new Map<string, { type: FlagType; resolve: Resolver }>();
  for (const [key, flag] of Object.entries(set.flags)) {
    resolvers.set(key, { type: flag.type, resolve: compileFlag(flag, set.segments) });
  }
  const keys = [...resolvers.keys()].sort();
  return {
    version: set.version,
    keys,
    evaluate(key, context, expectedType) {
      const entry = resolvers.get(key);
      if (entry === undefined) return failure(key, "FLAG_NOT_FOUND", `flag "${key}" does not exist in this environment`);
      if (expectedType !== undefined && entry.type !== expectedType) {
        return failure(key, "TYPE_MISMATCH", `flag "${key}" is of type ${entry.type}, not ${expectedType}`);
      }
      return entry.resolve(context);
    },
    evaluateAll(context) {
      return keys.map((key) => (resolvers.get(key) as { resolve: Resolver }).resolve(context));
    },
    has: (key) => resolvers.has(key),
    typeOf: (key) => resolvers.get(key)?.type,
  };
}

/** Evaluates one flag without a set (segments given separately); compiles on every call, so prefer `compileFlagSet`. */
export function evaluateFlag(flag: FlagConfig, context: EvaluationContext, segments: Record<string, Segment> = {}): Evaluation {
  return compileFlag(flag, segments)(context);
}

function compileFlag(flag: FlagConfig, segments: Record<string, Segment>): Resolver {
  const { key } = flag;
  const served = (variant: string, reason: EvaluationSuccess["reason"]): EvaluationSuccess => {
    if (!Object.hasOwn(flag.variants, variant)) throw new EvaluationError("GENERAL", `flag "${key}" has no variant "${variant}"`);
    return Object.freeze({ key, value: flag.variants[variant] as EvaluationSuccess["value"], variant, reason });
  };
  let build: () => Resolver;
  if (!flag.enabled) {
    build = () => constant(served(flag.offVariant, "DISABLED"));
  } else if (flag.rules.length === 0 && flag.rollout === null) {
    build = () => constant(served(flag.defaultVariant, "STATIC"));
  } else {
    build = () => {
      const rules = flag.rules.map((rule) => {
        const matches = compileConditions(rule.conditions, segments);
        const serve = rule.rollout
          ? compileRollout(key, rule.rollout, served, "SPLIT")
          : constant(served(rule.variant ?? flag.defaultVariant, "TARGETING_MATCH"));
        return { matches, serve };
      });
      const fallback = flag.rollout
        ? compileRollout(key, flag.rollout, served, "SPLIT")
        : constant(served(flag.defaultVariant, flag.rules.length === 0 ? "STATIC" : "DEFAULT"));
      return (context) => {
        checkTargetingKey(context);
        for (const rule of rules) if (rule.matches(context)) return rule.serve(context);
        return fallback(context);
      };
    };
  }
  let resolver: Resolver;
  try {
    resolver = build();
  } catch (error) {
    // A flag set that passed validation never gets here; one edited by hand still evaluates its other flags.
    const result = failure(key, "PARSE_ERROR", errorMessage(error));
    return () => result;
  }
  return (context) => {
    try {
      return resolver(context);
    } catch (error) {
      if (error instanceof EvaluationError) return failure(key, error.code, error.message);
      return failure(key, "GENERAL", errorMessage(error));
    }
  };
}

function constant(result: Evaluation): Resolver {
  return () => result;
}

function checkTargetingKey(context: EvaluationContext): void {
  const targetingKey = context.targetingKey;
  if (targetingKey !== undefined && typeof targetingKey !== "string") {
    throw new EvaluationError("INVALID_CONTEXT", `targetingKey must be a string, got ${typeName(targetingKey)}`);
  }
}

function compileRollout(
  key: string,
  rollout: Rollout,
  served: (variant: string, reason: EvaluationSuccess["reason"]) => EvaluationSuccess,
  reason: EvaluationSuccess["reason"],
): Resolver {
  const attribute = rollout.bucketBy ?? "targetingKey";
  // Cumulative upper bounds in basis points: bucket b goes to the first variant whose bound exceeds b.
  let total = 0;
  const bounds = rollout.weights.map((entry) => {
    total += Math.round(entry.weight * 100);
    return { bound: total, result: served(entry.variant, reason) };
  });
  if (total !== 10000)
    throw new EvaluationError("PARSE_ERROR", `rollout weights of flag "${key}" sum to ${total / 100}%, not 100%`);
  return (context) => {
    const raw = context[attribute];
    if (raw === undefined || raw === null || raw === "") {
      throw new EvaluationError(
        "TARGETING_KEY_MISSING",
        `flag "${key}" is rolled out by "${attribute}", which the context does not have`,
      );
    }
    if (typeof raw !== "string" && typeof raw !== "number") {
      throw new EvaluationError(
        "INVALID_CONTEXT",
        `"${attribute}" must be a string or number to bucket by, got ${typeName(raw)}`,
      );
    }
    const bucket = bucketOf(key, String(raw));
    for (const entry of bounds) if (bucket < entry.bound) return entry.result;
    return (bounds[bounds.length - 1] as { result: Evaluation }).result;
  };
}

function compileConditions(conditions: Condition[], segments: Record<string, Segment>): Predicate {
  const predicates = conditions.map((condition) => compileCondition(condition, segments));
  if (predicates.length === 0) return () => true;
  if (predicates.length === 1) return predicates[0] as Predicate;
  return (context) => {
    for (const predicate of predicates) if (!predicate(context)) return false;
    return true;
  };
}

function compileCondition(condition: Condition, segments: Record<string, Segment>): Predicate {
  if ("segment" in condition) {
    const segment = segments[condition.segment];
    if (segment === undefined) throw new EvaluationError("PARSE_ERROR", `segment "${condition.segment}" does not exist`);
    return compileConditions(segment.conditions, {});
  }
  return compileAttribute(condition);
}

function operands(condition: AttributeCondition): Array<string | number | boolean> {
  if (condition.values !== undefined) return condition.values;
  return condition.value === undefined ? [] : [condition.value];
}

function compileAttribute(condition: AttributeCondition): Predicate {
  const { attribute, operator } = condition;
  const list = operands(condition);
  const first = list[0];
  const read = (context: EvaluationContext): unknown => context[attribute];
  const wrongType = (value: unknown, wanted: string) =>
    new EvaluationError("INVALID_CONTEXT", `"${attribute}" must be ${wanted} for operator ${operator}, got ${typeName(value)}`);
  const primitive = (value: unknown): string | number | boolean => {
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return value;
    throw wrongType(value, "a string, number or boolean");
  };
  const text = (value: unknown): string => {
    if (typeof value === "string") return value;
    throw wrongType(value, "a string");
  };
  const withValue =
    (test: (value: unknown) => boolean): Predicate =>
    (context) => {
      const value = read(context);
      return value === undefined || value === null ? false : test(value);
    };
  switch (operator) {
    case "equals":
      return withValue((value) => primitive(value) === first);
    case "notEquals":
      return withValue((value) => primitive(value) !== first);
    case "in": {
      const set = new Set(list);
      return withValue((value) => set.has(primitive(value)));
    }
    case "notIn": {
      const set = new Set(list);
      return withValue((value) => !set.has(primitive(value)));
    }
    case "startsWith":
      return withValue((value) => list.some((operand) => text(value).startsWith(String(operand))));
    case "endsWith":
      return withValue((value) => list.some((operand) => text(value).endsWith(String(operand))));
    case "contains":
      return withValue((value) => list.some((operand) => text(value).includes(String(operand))));
    case "matches": {
      const regex = new RegExp(String(first));
      return withValue((value) => {
        const input = text(value);
        if (input.length > MAX_MATCH_INPUT) {
          throw new EvaluationError("INVALID_CONTEXT", `"${attribute}" is longer than ${MAX_MATCH_INPUT} characters for matches`);
        }
        return regex.test(input);
      });
    }
    case "lt":
    case "lte":
    case "gt":
    case "gte": {
      const bound = Number(first);
      const compare = numberComparison(operator);
      return withValue((value) => {
        if (typeof value !== "number" || !Number.isFinite(value)) throw wrongType(value, "a number");
        return compare(value, bound);
      });
    }
    case "semverEq":
    case "semverLt":
    case "semverLte":
    case "semverGt":
    case "semverGte": {
      const bound = parseSemver(String(first));
      if (bound === undefined) throw new EvaluationError("PARSE_ERROR", `"${String(first)}" is not a semantic version`);
      const compare = numberComparison(operator.replace("semver", "").toLowerCase() as "eq" | "lt" | "lte" | "gt" | "gte");
      return withValue((value) => {
        const version: SemVer | undefined = typeof value === "string" ? parseSemver(value) : undefined;
        if (version === undefined) throw wrongType(value, "a semantic version like 1.2.3");
        return compare(compareSemver(version, bound), 0);
      });
    }
    case "before":
    case "after": {
      const bound = toTime(first);
      if (bound === undefined) throw new EvaluationError("PARSE_ERROR", `"${String(first)}" is not a date`);
      return withValue((value) => {
        const time = toTime(value);
        if (time === undefined) throw wrongType(value, "an ISO-8601 date or epoch milliseconds");
        return operator === "before" ? time < bound : time > bound;
      });
    }
  }
}

function numberComparison(operator: "eq" | "lt" | "lte" | "gt" | "gte"): (a: number, b: number) => boolean {
  switch (operator) {
    case "eq":
      return (a, b) => a === b;
    case "lt":
      return (a, b) => a < b;
    case "lte":
      return (a, b) => a <= b;
    case "gt":
      return (a, b) => a > b;
    case "gte":
      return (a, b) => a >= b;
  }
}

/** ISO-8601 text (a date alone is midnight UTC) or epoch milliseconds. */
export function toTime(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (typeof value !== "string" || !/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value)) return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : time;
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}
