import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileFlagSet } from "./evaluator.ts";
import type { Evaluation, EvaluationContext, FlagConfig, Segment } from "./flags.types.ts";
import { bucketOf, murmur3 } from "./murmur3.ts";
import { validateFlagConfig } from "./validate.ts";

interface Conformance {
  hashes: Array<{ input: string; murmur3: number; bucket: number }>;
  segments: Record<string, Segment>;
  flags: Record<string, FlagConfig>;
  cases: Array<{ name: string; flag: string; context: EvaluationContext; expected: Record<string, unknown> }>;
}

const doc = JSON.parse(readFileSync(new URL("../../../docs/flags-conformance.json", import.meta.url), "utf8")) as Conformance;

/** MurmurHash3 x86_32 written from the reference C over a byte buffer: an independent check of the streaming version. */
function referenceMurmur3(bytes: Buffer): number {
  let h = 0;
  const tail = bytes.length - (bytes.length % 4);
  const mixK = (k: number) => Math.imul((Math.imul(k, 0xcc9e2d51) << 15) | (Math.imul(k, 0xcc9e2d51) >>> 17), 0x1b873593);
  for (let i = 0; i < tail; i += 4) {
    h ^= mixK(bytes.readUInt32LE(i));
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  for (let i = bytes.length - 1; i >= tail; i--) k = (k << 8) | (bytes[i] as number);
  if (bytes.length % 4 !== 0) h ^= mixK(k);
  h ^= bytes.length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

describe("docs/flags-conformance.json", () => {
  const compiled = compileFlagSet({ version: 1, flags: doc.flags, segments: doc.segments });

  it.each(doc.hashes)("hashes $input to $murmur3 (bucket $bucket)", ({ input, murmur3: hash, bucket }) => {
    expect(murmur3(input)).toBe(hash);
    expect(referenceMurmur3(Buffer.from(input, "utf8"))).toBe(hash);
    expect(hash % 10000).toBe(bucket);
  });

  it("hashes any text (ASCII, multi-byte, astral, lone surrogates) as the byte-wise reference does", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "binary", maxLength: 64 }),
        (text) => murmur3(text) === referenceMurmur3(Buffer.from(text, "utf8")),
      ),
      { numRuns: 2000 },
    );
  });

  it("contains only flags that pass validation", () => {
    for (const flag of Object.values(doc.flags)) expect(validateFlagConfig(flag, doc.segments)).toEqual([]);
  });

  it.each(doc.cases)("$name", ({ flag, context, expected }) => {
    const result: Evaluation = compiled.evaluate(flag, context);
    const { errorDetails: _details, key, ...shape } = result as Evaluation & { errorDetails?: string };
    expect(key).toBe(flag);
    expect(shape).toEqual(expected);
  });

  it("covers every reason and error code the evaluator produces", () => {
    const reasons = new Set(doc.cases.map((c) => c.expected.reason));
    const codes = new Set(doc.cases.map((c) => c.expected.errorCode).filter(Boolean));
    expect([...reasons].sort()).toEqual(["DEFAULT", "DISABLED", "ERROR", "SPLIT", "STATIC", "TARGETING_MATCH"]);
    expect([...codes].sort()).toEqual(["FLAG_NOT_FOUND", "INVALID_CONTEXT", "TARGETING_KEY_MISSING"]);
  });

  it("agrees with bucketOf for every split case", () => {
    for (const c of doc.cases.filter((x) => x.expected.reason === "SPLIT")) {
      const flag = doc.flags[c.flag] as FlagConfig;
      const rollout = flag.rollout ?? flag.rules.find((r) => r.rollout)?.rollout;
      const by = String(c.context[rollout?.bucketBy ?? "targetingKey"]);
      const bucket = referenceMurmur3(Buffer.from(`${c.flag}/${by}`, "utf8")) % 10000;
      expect(bucketOf(c.flag, by)).toBe(bucket);
    }
  });
});
