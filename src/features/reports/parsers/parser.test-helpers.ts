import { readFileSync } from "node:fs";
import { fixturesDir } from "../../../../test/helpers/fixtures.ts";
import type { CaseStatus, Chunks, JUnitFileSummary, ParsedTestCase } from "./parser.types.ts";

/** The shared fixtures (see test/helpers/fixtures.ts for where they are looked up). */
export const FIXTURES_DIR = `${fixturesDir("reports")}/`;

export function fixture(name: string): Buffer {
  return readFileSync(`${FIXTURES_DIR}${name}`);
}

/** Hands a buffer over in pieces of `size` bytes, the way a slow upload would arrive. */
export async function* chunked(data: Buffer | string, size: number): Chunks {
  const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

export interface Collected {
  cases: ParsedTestCase[];
  summary: JUnitFileSummary;
  batches: number;
}

export async function collect(parser: AsyncGenerator<ParsedTestCase[], JUnitFileSummary>): Promise<Collected> {
  const cases: ParsedTestCase[] = [];
  let batches = 0;
  for (;;) {
    const next = await parser.next();
    if (next.done) return { cases, summary: next.value, batches };
    batches += 1;
    cases.push(...next.value);
  }
}

export function statusCounts(cases: ParsedTestCase[]): Record<CaseStatus, number> {
  const counts: Record<CaseStatus, number> = { passed: 0, failed: 0, errored: 0, skipped: 0, flaky: 0 };
  for (const c of cases) counts[c.status] += 1;
  return counts;
}

export function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&apos;");
}

/** A deterministic PRNG (mulberry32), so a failing generated case can be reproduced from its seed. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
