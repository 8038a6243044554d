import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LineSplitter } from "./line-splitter.ts";
import { BoundedSample } from "./sample.ts";

function split(chunks: Uint8Array[]): { lines: string[]; lastFlagged: boolean } {
  const lines: string[] = [];
  let lastFlagged = false;
  const splitter = new LineSplitter((line, last) => {
    lines.push(line);
    lastFlagged ||= last;
  });
  for (const chunk of chunks) splitter.push(chunk);
  splitter.end();
  return { lines, lastFlagged };
}

describe("LineSplitter", () => {
  it("gives the same lines however the bytes are chunked, multi-byte characters included", () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: "grapheme" }), { maxLength: 20 }),
        fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1 }),
        (texts, cuts) => {
          const text = `${texts.map((t) => t.replace(/[\r\n]/g, "")).join("\n")}\n`;
          const bytes = new TextEncoder().encode(text);
          const chunks: Uint8Array[] = [];
          for (let at = 0, i = 0; at < bytes.length; i++) {
            const size = cuts[i % cuts.length] ?? 1;
            chunks.push(bytes.subarray(at, at + size));
            at += size;
          }
          expect(split(chunks).lines).toEqual(text.split("\n").slice(0, -1));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("hands over a last line without a newline, marked as last", () => {
    expect(split([new TextEncoder().encode('{"a":1}\r\n{"b"')])).toEqual({ lines: ['{"a":1}', '{"b"'], lastFlagged: true });
  });
});

describe("BoundedSample", () => {
  it("is exact up to its cap and keeps max and count exact beyond it", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1_000_000 }), { minLength: 1, maxLength: 300 }), (values) => {
        const sample = new BoundedSample(100);
        for (const v of values) sample.add(v);
        expect(sample.max).toBe(Math.max(...values));
        expect(sample.count).toBe(values.length);
        if (values.length <= 100) {
          const sorted = [...values].sort((a, b) => a - b);
          const mid = sorted.length >> 1;
          const median = sorted.length % 2 ? sorted[mid] : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
          expect(sample.median()).toBe(median);
        } else {
          expect(sample.sampled).toBe(true);
        }
      }),
    );
  });
});
