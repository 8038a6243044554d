import { describe, expect, it } from "vitest";
import { canonicalJson } from "./canonical-json.ts";

/** A small deterministic PRNG (mulberry32), so the generated cases are the same on every run. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function generate(next: () => number, depth: number): unknown {
  const pick = Math.floor(next() * (depth > 2 ? 4 : 6));
  switch (pick) {
    case 0:
      return Math.round(next() * 1e6) / 100 - 5000;
    case 1:
      return ["", "é", 'a"b\\c', "line\nbreak", "😀", "\u0001"][Math.floor(next() * 6)];
    case 2:
      return next() < 0.5 ? null : next() < 0.5;
    case 3:
      return Math.floor(next() * 1e9);
    case 4:
      return Array.from({ length: Math.floor(next() * 4) }, () => generate(next, depth + 1));
    default: {
      const object: Record<string, unknown> = {};
      for (let i = Math.floor(next() * 5); i > 0; i--) object[`k${Math.floor(next() * 20)}`] = generate(next, depth + 1);
      return object;
    }
  }
}

/** The same value with every object's keys inserted in a shuffled order. */
function shuffled(value: unknown, next: () => number): unknown {
  if (Array.isArray(value)) return value.map((item) => shuffled(item, next));
  if (typeof value !== "object" || value === null) return value;
  const entries = Object.entries(value);
  for (let i = entries.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [entries[i], entries[j]] = [entries[j] as [string, unknown], entries[i] as [string, unknown]];
  }
  return Object.fromEntries(entries.map(([key, item]) => [key, shuffled(item, next)]));
}

describe("canonicalJson", () => {
  it("sorts keys at every depth, keeps array order and writes no whitespace", () => {
    expect(canonicalJson({ b: [3, { d: true, c: null }], a: "x" })).toBe('{"a":"x","b":[3,{"c":null,"d":true}]}');
  });

  it("renders the same bytes whatever order the keys were inserted in", () => {
    const next = random(42);
    for (let i = 0; i < 300; i++) {
      const value = generate(next, 0);
      expect(canonicalJson(shuffled(value, next))).toBe(canonicalJson(value));
    }
  });

  it("round-trips: parsing the output and rendering again gives the same bytes", () => {
    const next = random(7);
    for (let i = 0; i < 300; i++) {
      const text = canonicalJson(generate(next, 0));
      expect(canonicalJson(JSON.parse(text))).toBe(text);
    }
  });

  it("orders keys by UTF-16 code units, as RFC 8785 does, not by code points", () => {
    // U+1F600 is the surrogate pair D83D DE00, which sorts before U+FF61 although its code point is larger.
    expect(canonicalJson({ "\uff61": 1, "😀": 2, a: 3, B: 4 })).toBe('{"B":4,"a":3,"😀":2,"｡":1}');
  });

  it("writes numbers and strings as ECMAScript does (RFC 8785)", () => {
    expect(canonicalJson([1e21, 1e-7, -0, 0.1 + 0.2, 100, 5e-324])).toBe("[1e+21,1e-7,0,0.30000000000000004,100,5e-324]");
    expect(canonicalJson('é\u2028\u0007"\\/')).toBe('"é\u2028\\u0007\\"\\\\/"');
  });

  it("drops undefined members, writes undefined array items as null and uses toJSON, like JSON.stringify", () => {
    expect(canonicalJson({ a: undefined, b: [undefined], c: new Date(0), d: () => 1 })).toBe(
      '{"b":[null],"c":"1970-01-01T00:00:00.000Z"}',
    );
  });

  it("allows a value referenced twice but throws on a cycle", () => {
    const shared = { x: 1 };
    expect(canonicalJson({ a: shared, b: shared })).toBe('{"a":{"x":1},"b":{"x":1}}');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => canonicalJson(cyclic)).toThrow(/cycle/);
  });

  it("throws on values JSON cannot carry instead of writing null", () => {
    expect(() => canonicalJson({ a: Number.NaN })).toThrow(/no JSON form/);
    expect(() => canonicalJson([Number.POSITIVE_INFINITY])).toThrow(/no JSON form/);
    expect(() => canonicalJson({ a: 1n })).toThrow(/BigInt/);
    expect(() => canonicalJson(undefined)).toThrow(/not JSON/);
  });
});
