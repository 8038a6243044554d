import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileFlagSet, evaluateFlag } from "./evaluator.ts";
import type { FlagConfig } from "./flags.types.ts";
import { bucketOf } from "./murmur3.ts";
import { unsafeRegex, validateFlagConfig } from "./validate.ts";

function rolloutFlag(key: string, onPercent: number): FlagConfig {
  return {
    key,
    type: "boolean",
    variants: { on: true, off: false },
    enabled: true,
    defaultVariant: "off",
    offVariant: "off",
    rules: [],
    rollout: {
      weights: [
        { variant: "on", weight: onPercent },
        { variant: "off", weight: Math.round((100 - onPercent) * 100) / 100 },
      ],
    },
  };
}

describe("bucketing", () => {
  it("is uniform within 1 % over 1M keys (each tenth of the range holds 10 % ± 1 %)", () => {
    const deciles = new Array<number>(10).fill(0);
    for (let i = 0; i < 1_000_000; i++) {
      const decile = Math.floor(bucketOf("uniformity", `user-${i}`) / 1000);
      deciles[decile] = (deciles[decile] ?? 0) + 1;
    }
    for (const count of deciles) expect(Math.abs(count / 1_000_000 - 0.1)).toBeLessThan(0.01);
  });

  it("a 50 % rollout serves each side 50 % ± 1 % of random keys", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 20 }), (flagKey) => {
        let on = 0;
        for (let i = 0; i < 20_000; i++) if (bucketOf(flagKey, `k${i}`) < 5000) on++;
        return Math.abs(on / 20_000 - 0.5) < 0.02;
      }),
      { numRuns: 25 },
    );
  });

  it("is stable across flag-set versions and unrelated changes", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 99 }), (targetingKey, percent) => {
        const flag = rolloutFlag("stable", percent);
        const v1 = compileFlagSet({ version: 1, flags: { stable: flag }, segments: {} });
        const other = { ...rolloutFlag("other", 50), enabled: false };
        const v2 = compileFlagSet({ version: 2, flags: { stable: flag, other }, segments: {} });
        const a = v1.evaluate("stable", { targetingKey });
        const b = v2.evaluate("stable", { targetingKey, unrelated: "x" });
        return "variant" in a && "variant" in b && a.variant === b.variant;
      }),
    );
  });

  it("increasing a rollout never moves a user out of the enabled group (20 % → 30 %, and any p → q ≥ p)", () => {
    const ramp = (from: number, to: number) =>
      fc.property(fc.string({ minLength: 1, maxLength: 40 }), (targetingKey) => {
        const before = evaluateFlag(rolloutFlag("ramp", from), { targetingKey });
        const after = evaluateFlag(rolloutFlag("ramp", to), { targetingKey });
        return !("value" in before) || before.value !== true || ("value" in after && after.value === true);
      });
    fc.assert(ramp(20, 30), { numRuns: 2000 });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10000 }), fc.integer({ min: 0, max: 10000 }), fc.string(), (a, b, key) => {
        const [low, high] = a <= b ? [a, b] : [b, a];
        const before = evaluateFlag(rolloutFlag("ramp2", low / 100), { targetingKey: `u${key}` });
        const after = evaluateFlag(rolloutFlag("ramp2", high / 100), { targetingKey: `u${key}` });
        return !("value" in before) || before.value !== true || ("value" in after && after.value === true);
      }),
    );
  });
});

describe("validation", () => {
  it("refuses rollout weights that do not sum to 100 %, naming the flag", () => {
    const problems = validateFlagConfig(
      {
        ...rolloutFlag("half", 50),
        rollout: {
          weights: [
            { variant: "on", weight: 50 },
            { variant: "off", weight: 40 },
          ],
        },
      },
      {},
    );
    expect(problems).toEqual([{ path: "rollout.weights", message: expect.stringContaining('flag "half" sum to 90%') }]);
  });

  it("refuses unknown variants, values of the wrong type and missing segments", () => {
    const flag: FlagConfig = {
      ...rolloutFlag("bad", 50),
      variants: { on: true, off: "no" },
      defaultVariant: "maybe",
      rules: [{ conditions: [{ segment: "ghosts" }], variant: "on" }],
    };
    const paths = validateFlagConfig(flag, {}).map((p) => p.path);
    expect(paths).toEqual(["variants.off", "defaultVariant", "rules[0].conditions[0].segment"]);
  });

  it.each(["(a+)+$", "(a|a)*", "^(\\w+\\s?)*$", "(x*y?){2,}", "(.*a){20}", "(a)\\1"])(
    "refuses the backtracking regex %s",
    (p) => {
      expect(unsafeRegex(p)).toBeDefined();
    },
  );

  it.each(["^etl-[a-z]+$", "^(eu|us)-west-\\d+$", "[(+*]+", "(ab)+c", "a{1,3}b*"])("accepts the linear regex %s", (p) => {
    expect(unsafeRegex(p)).toBeUndefined();
  });

  it("refuses a regex that does not compile", () => {
    expect(unsafeRegex("(unclosed")).toMatch(/does not compile/);
  });
});

describe("evaluation errors", () => {
  it("reports TYPE_MISMATCH when a typed call asks for another type", () => {
    const set = compileFlagSet({ version: 3, flags: { f: rolloutFlag("f", 10) }, segments: {} });
    expect(set.evaluate("f", { targetingKey: "a" }, "string")).toMatchObject({ reason: "ERROR", errorCode: "TYPE_MISMATCH" });
    expect(set.evaluate("f", { targetingKey: "a" }, "boolean")).toMatchObject({ reason: "SPLIT" });
  });

  it("reports PARSE_ERROR for a hand-edited flag with a missing variant instead of throwing", () => {
    const broken = { ...rolloutFlag("broken", 50), enabled: false, offVariant: "gone" };
    expect(evaluateFlag(broken, {})).toMatchObject({ reason: "ERROR", errorCode: "PARSE_ERROR" });
  });
});
