import { errorMessage } from "../errors.ts";
import { toTime } from "./evaluator.ts";
import {
  type AttributeCondition,
  type Condition,
  DATE_OPERATORS,
  type FlagConfig,
  type FlagType,
  type FlagValue,
  NUMBER_OPERATORS,
  OPERATORS,
  type Operator,
  type Rollout,
  SEMVER_OPERATORS,
  type Segment,
} from "./flags.types.ts";
import { parseSemver } from "./semver.ts";

/** What is wrong with a flag or segment, each problem naming its field, e.g. `rules[0].conditions[1].value`. */
export interface FlagProblem {
  path: string;
  message: string;
}

export const FLAG_KEY = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
export const VARIANT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const MAX_RULES = 100;
const MAX_OPERANDS = 1000;
const MAX_REGEX = 256;

export function valueMatchesType(type: FlagType, value: FlagValue): boolean {
  switch (type) {
    case "boolean":
      return typeof value === "boolean";
    case "string":
      return typeof value === "string";
    case "number":
      return typeof value === "number" && Number.isFinite(value);
    case "object":
      return typeof value === "object" && value !== null && !Array.isArray(value);
  }
}

/** Checks a flag's environment configuration against its variants and the project's segments. */
export function validateFlagConfig(flag: FlagConfig, segments: Record<string, Segment>): FlagProblem[] {
  const problems: FlagProblem[] = [];
  const add = (path: string, message: string) => problems.push({ path, message });
  if (!FLAG_KEY.test(flag.key)) add("key", "must be 1-128 letters, digits, `_`, `.` or `-`, starting with a letter or digit");
  const names = Object.keys(flag.variants);
  if (names.length === 0) add("variants", "needs at least one variant");
  if (names.length > 100) add("variants", "may have at most 100 variants");
  for (const name of names) {
    if (!VARIANT_NAME.test(name)) add(`variants.${name}`, "variant names are 1-64 letters, digits, `_`, `.` or `-`");
    if (!valueMatchesType(flag.type, flag.variants[name] as FlagValue)) add(`variants.${name}`, `must be a ${flag.type}`);
  }
  const known = (path: string, variant: string | undefined) => {
    if (variant === undefined || !Object.hasOwn(flag.variants, variant)) {
      add(path, `names no variant of the flag (variants: ${names.join(", ") || "none"})`);
    }
  };
  known("defaultVariant", flag.defaultVariant);
  known("offVariant", flag.offVariant);
  if (flag.rules.length > MAX_RULES) add("rules", `may have at most ${MAX_RULES} rules`);
  flag.rules.forEach((rule, i) => {
    const path = `rules[${i}]`;
    if ((rule.variant === undefined) === (rule.rollout === undefined)) add(path, "needs exactly one of `variant` or `rollout`");
    if (rule.variant !== undefined) known(`${path}.variant`, rule.variant);
    if (rule.rollout !== undefined) checkRollout(rule.rollout, `${path}.rollout`, { flag, add, known });
    rule.conditions.forEach((condition, j) => {
      checkCondition(condition, `${path}.conditions[${j}]`, segments, add);
    });
  });
  if (flag.rollout !== null) checkRollout(flag.rollout, "rollout", { flag, add, known });
  return problems;
}

export function validateSegment(segment: Segment): FlagProblem[] {
  const problems: FlagProblem[] = [];
  const add = (path: string, message: string) => problems.push({ path, message });
  if (!FLAG_KEY.test(segment.key)) add("key", "must be 1-128 letters, digits, `_`, `.` or `-`");
  segment.conditions.forEach((condition, i) => {
    checkCondition(condition, `conditions[${i}]`, {}, add);
  });
  return problems;
}

function checkRollout(
  rollout: Rollout,
  path: string,
  ctx: { flag: FlagConfig; add: (path: string, message: string) => void; known: (path: string, v: string) => void },
): void {
  let total = 0;
  if (rollout.weights.length === 0) ctx.add(`${path}.weights`, "needs at least one variant");
  rollout.weights.forEach((entry, i) => {
    ctx.known(`${path}.weights[${i}].variant`, entry.variant);
    const basisPoints = entry.weight * 100;
    if (!(entry.weight >= 0 && entry.weight <= 100) || Math.abs(basisPoints - Math.round(basisPoints)) > 1e-6) {
      ctx.add(`${path}.weights[${i}].weight`, "must be a percentage from 0 to 100 with at most two decimals");
    }
    total += Math.round(basisPoints);
  });
  if (rollout.weights.length > 0 && total !== 10000) {
    ctx.add(`${path}.weights`, `rollout weights of flag "${ctx.flag.key}" sum to ${total / 100}%; they must sum to 100%`);
  }
  if (rollout.bucketBy !== undefined && rollout.bucketBy.length === 0) ctx.add(`${path}.bucketBy`, "must name an attribute");
}

function checkCondition(
  condition: Condition,
  path: string,
  segments: Record<string, Segment>,
  add: (path: string, message: string) => void,
): void {
  if ("segment" in condition) {
    if (!Object.hasOwn(segments, condition.segment)) add(`${path}.segment`, `segment "${condition.segment}" does not exist`);
    return;
  }
  checkAttributeCondition(condition, path, add);
}

function checkAttributeCondition(condition: AttributeCondition, path: string, add: (p: string, m: string) => void): void {
  const { operator } = condition;
  if (typeof condition.attribute !== "string" || condition.attribute.length === 0)
    add(`${path}.attribute`, "must name an attribute");
  if (!(OPERATORS as readonly string[]).includes(operator)) {
    add(`${path}.operator`, `must be one of ${OPERATORS.join(", ")}`);
    return;
  }
  const list = condition.values ?? (condition.value === undefined ? [] : [condition.value]);
  const listOperator = operator === "in" || operator === "notIn";
  if (listOperator && condition.values === undefined) add(`${path}.values`, `${operator} needs \`values\`, a list`);
  if (list.length === 0) add(`${path}.value`, `${operator} needs an operand`);
  if (list.length > MAX_OPERANDS) add(`${path}.values`, `may have at most ${MAX_OPERANDS} operands`);
  if (!listOperator && !["startsWith", "endsWith", "contains"].includes(operator) && list.length > 1) {
    add(`${path}.values`, `${operator} takes one \`value\``);
  }
  const first = list[0];
  if (first === undefined) return;
  if (is(NUMBER_OPERATORS, operator) && typeof first !== "number") add(`${path}.value`, `${operator} compares numbers`);
  if (is(SEMVER_OPERATORS, operator) && (typeof first !== "string" || parseSemver(first) === undefined)) {
    add(`${path}.value`, `${operator} needs a semantic version like 1.2.3`);
  }
  if (is(DATE_OPERATORS, operator) && toTime(first) === undefined) {
    add(`${path}.value`, `${operator} needs an ISO-8601 date or epoch milliseconds`);
  }
  if (operator === "matches") {
    const problem = unsafeRegex(String(first));
    if (problem !== undefined) add(`${path}.value`, problem);
  }
}

function is<T extends string>(list: readonly T[], operator: Operator): operator is Operator & T {
  return (list as readonly string[]).includes(operator);
}

/**
 * Refuses patterns that can backtrack catastrophically (ReDoS): a repeated group that itself contains a repetition or an
 * alternation — `(a+)+`, `(a|a)*`, `(x*y?)*` — and backreferences. What remains (star height one, no alternation under
 * a star) matches in polynomial time. Also refuses patterns that do not compile or are longer than 256 characters.
 */
export function unsafeRegex(pattern: string): string | undefined {
  if (pattern.length > MAX_REGEX) return `regex is longer than ${MAX_REGEX} characters`;
  try {
    new RegExp(pattern);
  } catch (error) {
    return `regex does not compile: ${errorMessage(error)}`;
  }
  if (/\\[1-9]|\\k</.test(pattern)) return "regex backreferences are not allowed";
  const stack: Array<{ risky: boolean }> = [{ risky: false }];
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i];
    if (char === "\\") {
      i++;
      continue;
    }
    if (inClass) {
      if (char === "]") inClass = false;
      continue;
    }
    const top = stack[stack.length - 1] as { risky: boolean };
    if (char === "[") inClass = true;
    else if (char === "(") stack.push({ risky: false });
    else if (char === "|") top.risky = true;
    else if (char === ")") {
      const group = stack.pop() as { risky: boolean };
      const repeated = repeats(pattern, i + 1);
      if (group.risky && repeated)
        return "regex repeats a group that itself repeats or alternates; it could backtrack catastrophically";
      const parent = stack[stack.length - 1];
      if (parent && (group.risky || repeated)) parent.risky = true;
      if (stack.length === 0) stack.push({ risky: false });
    } else if (repeats(pattern, i)) top.risky = true;
  }
  return undefined;
}

/** Whether the quantifier at `at` lets the preceding atom repeat (`*`, `+`, `{n,}`, `{n,m}` with m > 1). */
function repeats(pattern: string, at: number): boolean {
  const char = pattern[at];
  if (char === "*" || char === "+") return true;
  if (char !== "{") return false;
  const match = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(at));
  if (!match) return false;
  if (match[2] === undefined) return Number(match[1]) > 1;
  return match[3] === "" || Number(match[3]) > 1;
}
