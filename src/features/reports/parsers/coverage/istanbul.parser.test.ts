import { describe, expect, it } from "vitest";
import { parseIstanbul, parseIstanbulSummary } from "./istanbul.parser.ts";
import { summarise } from "./paths.ts";
import { chunksOf, collect, fixture, fixtureText, linesCovered, parseError } from "./test-support.ts";

const FINAL = "istanbul-coverage-final.json";
const SUMMARY = "istanbul-coverage-summary.json";

/** Per file: lines covered/total, branches covered/total, functions covered/total, computed by a separate script. */
const EXPECTED: Record<string, [number, number, number, number, number, number]> = {
  "/absolute/path/src/components/HelloWorld.vue": [40, 40, 0, 0, 0, 0],
  "/absolute/path/src/components/TheWelcome.vue": [0, 93, 0, 1, 0, 1],
  "/absolute/path/src/components/WelcomeItem.vue": [0, 86, 0, 1, 0, 1],
  "/absolute/path/src/components/__tests__/HelloWorld.spec.ts": [16, 16, 3, 3, 0, 0],
  "/absolute/path/src/router/index.ts": [0, 23, 0, 1, 0, 1],
  "/absolute/path/src/views/AboutView.vue": [0, 15, 0, 1, 0, 1],
  "/absolute/path/src/views/HomeView.vue": [0, 9, 0, 1, 0, 1],
};

describe("parseIstanbul", () => {
  it("reads the 7 files of Vitest's coverage-final.json", async () => {
    const files = await collect(parseIstanbul(fixture(FINAL)));
    expect(files.map((f) => f.path)).toEqual(Object.keys(EXPECTED));
    for (const file of files) {
      const branches = summarise([file]).branches;
      expect([
        linesCovered(file.lines),
        file.lines.size,
        branches.covered,
        branches.total,
        file.functions?.covered,
        file.functions?.total,
      ]).toEqual(EXPECTED[file.path]);
    }
    expect(summarise(files)).toEqual({ lines: { covered: 56, total: 282 }, branches: { covered: 3, total: 8 } });
  });

  it("has a line for every distinct statement start line, and branches on the line where they start", async () => {
    const whole = JSON.parse(fixtureText(FINAL)) as Record<string, { statementMap: Record<string, { start: { line: number } }> }>;
    const files = await collect(parseIstanbul(fixture(FINAL)));
    for (const file of files) {
      const starts = new Set(Object.values(whole[file.path]?.statementMap ?? {}).map((s) => s.start.line));
      expect(new Set(file.lines.keys())).toEqual(starts);
    }
    const spec = files.find((f) => f.path.endsWith("HelloWorld.spec.ts"));
    expect(Object.fromEntries(spec?.branches ?? [])).toEqual({
      6: { covered: 1, total: 1 },
      7: { covered: 1, total: 1 },
      12: { covered: 1, total: 1 },
    });
  });

  it("gives the same result when fed 3 bytes at a time", async () => {
    expect(await collect(parseIstanbul(fixture(FINAL, 3)))).toEqual(await collect(parseIstanbul(fixture(FINAL))));
  });

  it("takes the largest count of statements that start on one line, and sums branches sharing a line", async () => {
    const json = JSON.stringify({
      "a.js": {
        path: "a.js",
        statementMap: {
          0: { start: { line: 1, column: 0 }, end: { line: 1, column: 5 } },
          1: { start: { line: 1, column: 6 }, end: { line: 3, column: 1 } },
        },
        s: { 0: 4, 1: 0 },
        branchMap: {
          0: { loc: { start: { line: 2, column: 0 } }, locations: [{}, {}] },
          1: { line: 2, loc: { start: { line: 2, column: 9 } }, locations: [{}, {}, {}] },
        },
        b: { 0: [1, 0], 1: [0, 2, 3] },
        fnMap: {},
        f: {},
      },
    });
    const [file] = await collect(parseIstanbul(chunksOf(json, 1)));
    expect(Object.fromEntries(file?.lines ?? [])).toEqual({ 1: 4 });
    expect(file?.branches.get(2)).toEqual({ covered: 3, total: 5 });
  });

  it.each([
    ["a truncated file", '{\n"a.js": {"statementMap": {}, "s": {}},\n"b.js": {"statementMap"', 3, /cut short/],
    ["garbage", "hello", 1, /expected a JSON object/],
    ["an entry that is not file coverage", '{\n"a.js": {"lines": {"total": 1}}}', 2, /statementMap and s are missing/],
    ["invalid JSON inside an entry", '{\n"a.js":\n  {"statementMap": {}, "s": {,}}}', 3, /not valid JSON/],
    ["a statement without a count", '{"a.js": {"statementMap": {"0": {"start": {"line": 1}}}, "s": {}}}', 1, /statement 0/],
  ])("refuses %s with the line", async (_, json, line, message) => {
    const error = await parseError(collect(parseIstanbul(chunksOf(json, 3))));
    expect(error.format).toBe("istanbul");
    expect(error.line).toBe(line);
    expect(error.message).toMatch(message);
  });

  it("refuses an entry larger than the limit", async () => {
    const json = `{"a.js": {"statementMap": {}, "s": {}, "pad": "${"x".repeat(10_000)}"}}`;
    const error = await parseError(collect(parseIstanbul(chunksOf(json, 64), { maxEntryLength: 1000 })));
    expect(error.message).toMatch(/larger than 1000/);
  });
});

describe("parseIstanbulSummary", () => {
  it("reads the 5 files of coverage-summary.json and skips total, whose branchesTrue pct is Unknown", async () => {
    const files = await collect(parseIstanbulSummary(fixture(SUMMARY, 3)));
    expect(files).toEqual([
      {
        path: "/absolute/path/src/constants.js",
        lines: { covered: 1, total: 1 },
        branches: { covered: 0, total: 0 },
        functions: { covered: 0, total: 0 },
      },
      {
        path: "/absolute/path/src/format.js",
        lines: { covered: 24, total: 33 },
        branches: { covered: 8, total: 15 },
        functions: { covered: 8, total: 10 },
      },
      {
        path: "/absolute/path/src/index.js",
        lines: { covered: 0, total: 69 },
        branches: { covered: 0, total: 24 },
        functions: { covered: 0, total: 8 },
      },
      {
        path: "/absolute/path/src/parse.js",
        lines: { covered: 15, total: 20 },
        branches: { covered: 3, total: 5 },
        functions: { covered: 2, total: 3 },
      },
      {
        path: "/absolute/path/src/utils.js",
        lines: { covered: 20, total: 22 },
        branches: { covered: 12, total: 14 },
        functions: { covered: 8, total: 8 },
      },
    ]);
    // The files add up to the total entry's lines (60 of 145).
    const lines = files.reduce((sum, f) => ({ covered: sum.covered + f.lines.covered, total: sum.total + f.lines.total }), {
      covered: 0,
      total: 0,
    });
    expect(lines).toEqual({ covered: 60, total: 145 });
  });

  it('accepts "Unknown" percentages on a file and leaves out what the file does not report', async () => {
    const json = '{"a.js": {"lines": {"total": 0, "covered": 0, "skipped": 0, "pct": "Unknown"}}}';
    expect(await collect(parseIstanbulSummary(chunksOf(json, 2)))).toEqual([
      { path: "a.js", lines: { covered: 0, total: 0 }, branches: null, functions: null },
    ]);
  });

  it("refuses a file entry without totals", async () => {
    const error = await parseError(collect(parseIstanbulSummary(chunksOf('{\n"total": {},\n"a.js": {"lines": "all"}}', 3))));
    expect(error.format).toBe("istanbul-summary");
    expect(error.line).toBe(3);
  });
});
