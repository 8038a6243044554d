import { once } from "node:events";
import { createWriteStream, type WriteStream } from "node:fs";
import { stat } from "node:fs/promises";

/**
 * Deterministic report files for the reports bench: the same seed and sizes give the same bytes, so numbers from two
 * runs (or two machines) are about the same input.
 */

/** mulberry32: small, fast, good enough to pick test names and outcomes. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Buffers text into ~1 MiB writes and honours backpressure, so generating 250 MiB does not hold 250 MiB. */
class Writer {
  private parts: string[] = [];
  private length = 0;
  bytes = 0;

  constructor(private readonly stream: WriteStream) {}

  async push(text: string): Promise<void> {
    this.parts.push(text);
    this.length += text.length;
    if (this.length >= 1024 * 1024) await this.flush();
  }

  private async flush(): Promise<void> {
    const chunk = this.parts.join("");
    this.parts = [];
    this.length = 0;
    this.bytes += Buffer.byteLength(chunk);
    if (!this.stream.write(chunk)) await once(this.stream, "drain");
  }

  async end(): Promise<void> {
    await this.flush();
    this.stream.end();
    await once(this.stream, "finish");
  }
}

async function writeFile(path: string, produce: (out: Writer) => Promise<void>): Promise<number> {
  const out = new Writer(createWriteStream(path));
  await produce(out);
  await out.end();
  return (await stat(path)).size;
}

const pick = <T>(random: () => number, items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
const between = (random: () => number, low: number, high: number): number => low + Math.floor(random() * (high - low + 1));

const VERBS = ["Create", "Update", "Delete", "Parse", "Render", "Validate", "Resolve", "Merge"] as const;
const MORE_VERBS = ["Sort", "Fetch", "Retry", "Cancel", "Encode", "Decode", "Promote", "Rollback"] as const;
/** "Timeout" is one noun in 16: the common substring of the search query. */
const NOUNS = [
  "Release",
  "Deployment",
  "Environment",
  "Token",
  "Report",
  "Manifest",
  "Artifact",
  "Gate",
  "Approval",
  "Webhook",
  "Schedule",
  "Config",
  "Snapshot",
  "Timeout",
  "Cursor",
  "Batch",
] as const;
const CONDITIONS = ["WhenEmpty", "WithUnicode", "OnConflict", "AfterRestart", "UnderLoad", "WithoutPermission", "InParallel"];
const KINDS = ["Service", "Store", "Controller", "Parser", "Client", "Handler", "Mapper", "Validator"] as const;
const LEVELS = ["DEBUG", "INFO ", "INFO ", "INFO ", "WARN "] as const;

export interface JUnitFixture {
  path: string;
  bytes: number;
  cases: number;
  suites: number;
  failed: number;
  errored: number;
  skipped: number;
  withOutput: number;
  /** A substring of exactly one test name (a search for one test). */
  rareSubstring: string;
  /** A substring of about one name in 16. */
  commonSubstring: string;
}

function stackTrace(random: () => number, headline: string, pkg: string): string {
  const frames: string[] = [headline];
  const depth = between(random, 35, 60);
  for (let i = 0; i < depth; i++) {
    const cls = `${pick(random, NOUNS)}${pick(random, KINDS)}`;
    const where =
      i % 9 === 8
        ? `\tat org.junit.platform.engine.support.hierarchical.NodeTestTask.executeRecursively(NodeTestTask.java:${between(random, 100, 200)})`
        : `\tat ${pkg}.${cls}.${pick(random, VERBS).toLowerCase()}${pick(random, NOUNS)}(${cls}.java:${between(random, 10, 900)})`;
    frames.push(where);
  }
  frames.push(`\t... ${between(random, 10, 90)} more`);
  return frames.join("\n");
}

function logLines(random: () => number, pkg: string, count: number): string {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const ms = String(between(random, 0, 999)).padStart(3, "0");
    const level = pick(random, LEVELS);
    lines.push(
      `2026-11-25T10:${String(between(random, 0, 59)).padStart(2, "0")}:${String(between(random, 0, 59)).padStart(2, "0")}.${ms}Z ${level} [worker-${between(random, 1, 8)}] ${pkg}.${pick(random, NOUNS)}${pick(random, KINDS)} - ${pick(random, VERBS).toLowerCase()} ${pick(random, NOUNS).toLowerCase()} id=${Math.floor(random() * 1e9).toString(36)} took ${between(random, 1, 400)} ms`,
    );
  }
  return lines.join("\n");
}

/**
 * A Surefire-style JUnit XML file: `cases` test cases in `suites` suites, ~1.7% failures and ~0.3% errors with a
 * multi-line message (`&#10;`) and a 35–60 frame stack trace (3–5 KiB), ~1% skipped, ~3% with a system-out of 5–15 log
 * lines (half of them CDATA), and a suite-level system-out and properties block per suite.
 */
export async function writeJUnit(path: string, options: { cases: number; suites: number; seed: number }): Promise<JUnitFixture> {
  const random = prng(options.seed);
  const counts = { failed: 0, errored: 0, skipped: 0, withOutput: 0 };
  const rareIndex = Math.floor(options.cases * 0.62);
  let rareSubstring = "";
  const bytes = await writeFile(path, async (out) => {
    await out.push(`<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="stagegate bench" tests="${options.cases}">\n`);
    let index = 0;
    for (let s = 0; s < options.suites; s++) {
      const pkg = `com.example.module${String(s % 40).padStart(2, "0")}.pkg${s % 7}`;
      const classname = `${pkg}.${pick(random, NOUNS)}${pick(random, KINDS)}${s}Test`;
      const inSuite = Math.floor(options.cases / options.suites) + (s < options.cases % options.suites ? 1 : 0);
      await out.push(
        `  <testsuite name="${classname}" tests="${inSuite}" time="${(random() * 300).toFixed(3)}" timestamp="2026-11-25T10:00:00" hostname="ci-runner-${s % 12}">\n    <properties>\n`,
      );
      for (const [name, value] of [
        ["java.version", "21.0.5"],
        ["os.name", "Linux"],
        ["user.dir", "/home/runner/work/app/app"],
        ["surefire.test.class.path", `/home/runner/.m2/repository/${pkg.replaceAll(".", "/")}/app-1.0.jar`],
      ]) {
        await out.push(`      <property name="${name}" value="${value}"/>\n`);
      }
      await out.push("    </properties>\n");
      for (let c = 0; c < inSuite; c++, index++) {
        const name = `should${pick(random, [...VERBS, ...MORE_VERBS])}${pick(random, NOUNS)}${pick(random, CONDITIONS)}_${index}`;
        if (index === rareIndex) rareSubstring = `_${index}`;
        const open = `    <testcase name="${name}" classname="${classname}" time="${(random() * random() * 2).toFixed(3)}"`;
        const roll = random();
        const output = random() < 0.03;
        if (roll >= 0.03 && !output) {
          await out.push(`${open}/>\n`);
          continue;
        }
        const body: string[] = [];
        if (roll < 0.02) {
          const error = roll < 0.003;
          if (error) counts.errored++;
          else counts.failed++;
          const element = error ? "error" : "failure";
          const type = error ? "java.lang.IllegalStateException" : "org.opentest4j.AssertionFailedError";
          const expected = between(random, 100, 599);
          const actual = between(random, 100, 599);
          const message = `expected: &lt;${expected}&gt; but was: &lt;${actual}&gt;&#10;  while checking &quot;${name}&quot;&#10;  request id ${Math.floor(random() * 1e12).toString(36)}&#10;  retries exhausted after ${between(random, 1, 5)} attempts`;
          const trace = stackTrace(random, `${type}: expected: &lt;${expected}&gt; but was: &lt;${actual}&gt;`, pkg);
          body.push(`      <${element} message="${message}" type="${type}">${trace}\n      </${element}>`);
        } else if (roll < 0.03) {
          counts.skipped++;
          body.push(`      <skipped message="disabled on CI, see issue #${between(random, 100, 9999)}"/>`);
        }
        if (output) {
          counts.withOutput++;
          const text = logLines(random, pkg, between(random, 5, 15));
          body.push(
            random() < 0.5
              ? `      <system-out><![CDATA[${text}\n]]></system-out>`
              : `      <system-out>${text.replaceAll("&", "&amp;").replaceAll("<", "&lt;")}\n</system-out>`,
          );
        }
        await out.push(`${open}>\n${body.join("\n")}\n    </testcase>\n`);
      }
      await out.push(
        `    <system-out><![CDATA[${logLines(random, pkg, between(random, 15, 40))}\n]]></system-out>\n  </testsuite>\n`,
      );
    }
    await out.push("</testsuites>\n");
  });
  return {
    path,
    bytes,
    cases: options.cases,
    suites: options.suites,
    ...counts,
    rareSubstring,
    commonSubstring: "Timeout",
  };
}

export interface LcovFixture {
  path: string;
  bytes: number;
  records: number;
  lines: number;
}

/**
 * An LCOV tracefile as geninfo/c8/jest write it: per source file `TN:`, `SF:`, FN/FNDA every ~20 lines, a DA line
 * for ~70% of 40–600 lines (15% never hit), BRDA pairs/quads on ~12% of them, the FNF/FNH/BRF/BRH/LF/LH totals and
 * `end_of_record`.
 */
export async function writeLcov(path: string, options: { records: number; seed: number }): Promise<LcovFixture> {
  const random = prng(options.seed);
  let lines = 0;
  const bytes = await writeFile(path, async (out) => {
    for (let r = 0; r < options.records; r++) {
      const parts: string[] = ["TN:"];
      parts.push(
        `SF:/home/runner/work/app/app/src/module${String(r % 60).padStart(2, "0")}/${pick(random, NOUNS).toLowerCase()}/${pick(random, NOUNS).toLowerCase()}-${pick(random, KINDS).toLowerCase()}-${r}.ts`,
      );
      const length = between(random, 40, 600);
      const functions: string[] = [];
      const da: string[] = [];
      const brda: string[] = [];
      let lh = 0;
      let brh = 0;
      let fnh = 0;
      for (let line = 1; line <= length; line++) {
        if (line % 20 === 1) {
          const fn = `${pick(random, VERBS).toLowerCase()}${pick(random, NOUNS)}${line}`;
          const hits = random() < 0.2 ? 0 : between(random, 1, 500);
          if (hits > 0) fnh++;
          parts.push(`FN:${line},${fn}`);
          functions.push(`FNDA:${hits},${fn}`);
        }
        if (random() >= 0.7) continue;
        const hits = random() < 0.15 ? 0 : between(random, 1, 2000);
        if (hits > 0) lh++;
        da.push(`DA:${line},${hits}`);
        if (random() < 0.12) {
          const branches = random() < 0.8 ? 2 : 4;
          for (let b = 0; b < branches; b++) {
            const taken = hits === 0 ? "-" : random() < 0.25 ? "0" : String(between(random, 1, hits));
            if (taken !== "-" && taken !== "0") brh++;
            brda.push(`BRDA:${line},0,${b},${taken}`);
          }
        }
      }
      parts.push(...functions, `FNF:${functions.length}`, `FNH:${fnh}`, ...da, ...brda);
      parts.push(`BRF:${brda.length}`, `BRH:${brh}`, `LF:${da.length}`, `LH:${lh}`, "end_of_record");
      lines += parts.length;
      await out.push(`${parts.join("\n")}\n`);
    }
  });
  return { path, bytes, records: options.records, lines };
}
