import { describe, expect, it } from "vitest";
import { parseLcov } from "./lcov.parser.ts";
import { summarise } from "./paths.ts";
import { chunksOf, collect, fixture, fixtureText, linesCovered, parseError } from "./test-support.ts";

/** What the tracefile itself says per record, read with nothing but string splitting. */
function declared(text: string) {
  return text
    .split("end_of_record")
    .slice(0, -1)
    .map((record) => {
      const lines = record.split(/\r?\n/).filter(Boolean);
      const value = (key: string) => Number(lines.find((l) => l.startsWith(`${key}:`))?.slice(key.length + 1));
      const da = lines.filter((l) => l.startsWith("DA:")).map((l) => Number(l.slice(3).split(",")[0]));
      return {
        path: lines.find((l) => l.startsWith("SF:"))?.slice(3),
        da: da.length,
        duplicates: da.length !== new Set(da).size,
        brda: lines.filter((l) => l.startsWith("BRDA:")).length,
        lf: value("LF"),
        lh: value("LH"),
        brf: value("BRF"),
        brh: value("BRH"),
      };
    });
}

describe("parseLcov", () => {
  it("reads the .NET tracefile: 15 records, 199 DA lines, 8 BRDA, Windows paths as given", async () => {
    const text = fixtureText("lcov-dotnet-branches.info");
    const records = declared(text);
    expect(records).toHaveLength(15);
    expect(records.reduce((n, r) => n + r.da, 0)).toBe(199);
    expect(records.reduce((n, r) => n + r.brda, 0)).toBe(8);

    const files = await collect(parseLcov(fixture("lcov-dotnet-branches.info")));
    expect(files.map((f) => f.path)).toEqual(records.map((r) => r.path));
    expect(files[0]?.path).toBe("C:\\temp\\AnalyzerTestClass.cs");
    for (const [i, file] of files.entries()) {
      const record = records[i];
      const branches = [...file.branches.values()];
      expect(branches.reduce((n, b) => n + b.total, 0)).toBe(record?.brf);
      expect(branches.reduce((n, b) => n + b.covered, 0)).toBe(record?.brh);
      // LF/LH count DA entries; a line listed twice (getter and setter on one line) is one line here.
      if (!record?.duplicates) {
        expect(file.lines.size).toBe(record?.lf);
        expect(linesCovered(file.lines)).toBe(record?.lh);
      }
    }
    // 199 DA entries are 184 distinct lines, 118 of them hit (cross-checked with a separate script).
    expect(summarise(files)).toEqual({ lines: { covered: 118, total: 184 }, branches: { covered: 5, total: 8 } });
  });

  it("keeps the larger count of a line listed twice in one record", async () => {
    const [file] = await collect(parseLcov(fixture("lcov-dotnet-branches.info")));
    expect(file?.lines.get(46)).toBe(0);
    const files = await collect(parseLcov(fixture("lcov-dotnet-branches.info")));
    expect(files[2]?.lines.get(6)).toBe(1); // DA:6,0 then DA:6,1
  });

  it("counts `-` as a branch never taken and reads functions from FN/FNDA", async () => {
    const files = await collect(parseLcov(fixture("lcov-dotnet-branches.info")));
    const partial = files.find((f) => f.path.endsWith("PartialClass.cs"));
    expect(partial?.branches.get(25)).toEqual({ covered: 1, total: 2 });
    expect(files[1]?.functions).toEqual({ covered: 1, total: 1 });
  });

  it("reads the JS tracefile with an odd source name, FNF:0 records and a wrapped -1 count", async () => {
    const files = await collect(parseLcov(fixture("lcov-js-small.lcov")));
    expect(files.map((f) => f.path)).toEqual([
      "dist/<define:DATA>",
      "spec/fixtures/lcov/index.js",
      "spec/fixtures/lcov/lib/run.js",
    ]);
    const run = files[2];
    expect(run?.lines.size).toBe(14); // LF:14
    expect(linesCovered(run?.lines ?? new Map())).toBe(13); // LH:13, so 18446744073709551615 counts as hit
    expect(run?.lines.get(13)).toBe(Number.MAX_SAFE_INTEGER);
    expect(run?.branches.get(10)).toEqual({ covered: 3, total: 4 });
    expect(summarise(files).branches).toEqual({ covered: 7, total: 8 }); // BRF:8 BRH:7
    expect(run?.functions).toEqual({ covered: 5, total: 6 }); // FNF:6 FNH:5
    expect(files[0]?.functions).toEqual({ covered: 0, total: 0 });
  });

  it("gives the same result when fed 3 bytes at a time, CRLF included", async () => {
    for (const name of ["lcov-dotnet-branches.info", "lcov-js-small.lcov"]) {
      const whole = await collect(parseLcov(fixture(name)));
      expect(await collect(parseLcov(fixture(name, 3)))).toEqual(whole);
      const crlf = fixtureText(name).replace(/\r?\n/g, "\r\n");
      expect(await collect(parseLcov(chunksOf(crlf, 3)))).toEqual(whole);
    }
  });

  it("yields each record as it ends, before the rest of the input has arrived", async () => {
    let released = false;
    async function* slow() {
      yield "SF:a.js\nDA:1,1\nend_of_record\n";
      released = true;
      yield "SF:b.js\nDA:1,0\nend_of_record\n";
    }
    const batches = parseLcov(slow());
    const first = await batches.next();
    expect(first.value).toMatchObject([{ path: "a.js" }]);
    expect(released).toBe(false);
  });

  it("refuses a truncated tracefile, naming the last line", async () => {
    const cut = fixtureText("lcov-js-small.lcov").split("\n").slice(0, 19).join("\n");
    const error = await parseError(collect(parseLcov(chunksOf(cut, 3))));
    expect(error.format).toBe("lcov");
    expect(error.line).toBe(19);
    expect(error.message).toMatch(/end_of_record is missing/);
  });

  it.each([
    ["garbage", "this is not lcov\n", 1, /not an LCOV line/],
    ["JSON", '{"a": 1}\n', 1, /not an LCOV line/],
    ["a DA before SF", "TN:\nDA:1,1\n", 2, /outside a record/],
    ["a negative count", "SF:a.js\nDA:3,-1\nend_of_record\n", 2, /DA:3,-1/],
    ["a line 0", "SF:a.js\nDA:0,1\nend_of_record\n", 2, /line ≥ 1/],
    ["a bad BRDA", "SF:a.js\nBRDA:1,0,x\nend_of_record\n", 2, /BRDA/],
    ["a missing end_of_record between records", "SF:a.js\nDA:1,1\nSF:b.js\n", 3, /before the record of a\.js/],
  ])("refuses %s with the line number", async (_, text, line, message) => {
    const error = await parseError(collect(parseLcov(chunksOf(text, 4))));
    expect(error.line).toBe(line);
    expect(error.message).toMatch(message);
  });

  it("refuses a line longer than the limit without buffering it all", async () => {
    const error = await parseError(collect(parseLcov(chunksOf(`SF:${"x".repeat(5000)}\n`, 100), { maxLineLength: 1000 })));
    expect(error.line).toBe(1);
  });
});
