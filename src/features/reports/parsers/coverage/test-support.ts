import { createReadStream, readFileSync } from "node:fs";
import { expect } from "vitest";
import { fixturesDir } from "../../../../../test/helpers/fixtures.ts";
import { type Chunks, ReportParseError } from "../parser.types.ts";

/** Helpers for the coverage parser tests (not a test file itself). Fixtures are the shared upstream copies. */

const FIXTURES = fixturesDir("reports");

export function fixturePath(name: string): string {
  return `${FIXTURES}/${name}`;
}

export function fixtureText(name: string): string {
  return readFileSync(fixturePath(name), "utf8");
}

/** The fixture as a real file stream; `chunkSize: 3` splits lines, tags, UTF-8 characters and the BOM. */
export function fixture(name: string, chunkSize = 64 * 1024): Chunks {
  return createReadStream(fixturePath(name), { highWaterMark: chunkSize });
}

export async function* chunksOf(content: string | Buffer, chunkSize: number): AsyncGenerator<Buffer> {
  const bytes = typeof content === "string" ? Buffer.from(content) : content;
  for (let i = 0; i < bytes.length; i += chunkSize) yield bytes.subarray(i, i + chunkSize);
}

export async function collect<T>(batches: AsyncIterable<T[]>): Promise<T[]> {
  const all: T[] = [];
  for await (const batch of batches) all.push(...batch);
  return all;
}

/** Every batch plus what the generator returned. */
export async function drain<T, R>(generator: AsyncGenerator<T[], R>): Promise<{ items: T[]; result: R }> {
  const items: T[] = [];
  for (;;) {
    const step = await generator.next();
    if (step.done) return { items, result: step.value };
    items.push(...step.value);
  }
}

export async function parseError(run: Promise<unknown>): Promise<ReportParseError> {
  const error = await run.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ReportParseError);
  return error as ReportParseError;
}

export function linesCovered(lines: Map<number, number>): number {
  let covered = 0;
  for (const hits of lines.values()) if (hits > 0) covered++;
  return covered;
}
