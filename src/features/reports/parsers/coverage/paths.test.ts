import { describe, expect, it } from "vitest";
import type { FileCoverage } from "../parser.types.ts";
import { parseLcov } from "./lcov.parser.ts";
import {
  mergeCoverage,
  normalisePaths,
  summarise,
  uncoveredRanges,
  uncoveredRangesOfJson,
  uncoveredRangesOfRow,
} from "./paths.ts";
import { collect, fixture } from "./test-support.ts";

function file(path: string, lines: [number, number][], branches: [number, number, number][] = []): FileCoverage {
  return { path, lines: new Map(lines), branches: new Map(branches.map(([line, covered, total]) => [line, { covered, total }])) };
}

describe("normalisePaths", () => {
  it("strips the common directory of absolute CI paths", () => {
    const names = normalisePaths(["/home/runner/work/app/app/src/a.ts", "/home/runner/work/app/app/test/b.ts"]);
    expect(Object.fromEntries(names)).toEqual({
      "/home/runner/work/app/app/src/a.ts": "src/a.ts",
      "/home/runner/work/app/app/test/b.ts": "test/b.ts",
    });
  });

  it("turns Windows paths of the .NET tracefile into repo-relative ones", async () => {
    const files = await collect(parseLcov(fixture("lcov-dotnet-branches.info")));
    const names = normalisePaths(files.map((f) => f.path));
    expect(names.get("C:\\temp\\AnalyzerTestClass.cs")).toBe("AnalyzerTestClass.cs");
    expect(normalisePaths(["C:\\a\\app\\src\\x.cs", "c:/a/app/tests/y.cs"])).toEqual(
      new Map([
        ["C:\\a\\app\\src\\x.cs", "src/x.cs"],
        ["c:/a/app/tests/y.cs", "tests/y.cs"],
      ]),
    );
  });

  it("strips the given prefix, leaving paths outside it as they are", () => {
    const names = normalisePaths(["/build/app/src/a.ts", "/usr/lib/node/x.js", "src/b.ts"], { stripPrefix: "/build/app/" });
    expect([...names.values()]).toEqual(["src/a.ts", "/usr/lib/node/x.js", "src/b.ts"]);
    expect(normalisePaths(["D:\\w\\app\\lib\\a.py"], { stripPrefix: "D:\\w\\app" }).get("D:\\w\\app\\lib\\a.py")).toBe(
      "lib/a.py",
    );
  });

  it("cuts a lone absolute path at a known root", () => {
    expect(normalisePaths(["/home/runner/work/app/app/src/a.ts"]).get("/home/runner/work/app/app/src/a.ts")).toBe("a.ts");
    const names = normalisePaths(["/home/runner/work/app/app/src/a.ts"], { knownRoots: ["src", "test"] });
    expect(names.get("/home/runner/work/app/app/src/a.ts")).toBe("src/a.ts");
  });

  it("leaves Go module paths and relative names as they are, apart from a leading ./", () => {
    const paths = ["github.com/spf13/cobra/command.go", "m/p/func2.go", "./src/a.py", "dist/<define:DATA>"];
    expect([...normalisePaths(paths).values()]).toEqual([
      "github.com/spf13/cobra/command.go",
      "m/p/func2.go",
      "src/a.py",
      "dist/<define:DATA>",
    ]);
  });

  it("relativises absolute paths against each other only, not against relative ones", () => {
    const names = normalisePaths(["/ci/app/src/a.ts", "/ci/app/lib/b.ts", "m/p/c.go", "file:///ci/app/src/d.ts"]);
    expect([...names.values()]).toEqual(["src/a.ts", "lib/b.ts", "m/p/c.go", "src/d.ts"]);
  });
});

describe("mergeCoverage", () => {
  it("adds line hits of two test processes and keeps the larger branch counts", () => {
    const a = {
      ...file(
        "a.ts",
        [
          [1, 2],
          [2, 0],
          [3, 0],
        ],
        [[1, 1, 2]],
      ),
      functions: { covered: 1, total: 3 },
    };
    const b = {
      ...file(
        "src/a.ts",
        [
          [2, 5],
          [3, 0],
          [4, 1],
        ],
        [
          [1, 2, 2],
          [4, 0, 4],
        ],
      ),
      functions: { covered: 2, total: 3 },
    };
    const merged = mergeCoverage(a, b);
    expect(merged.path).toBe("a.ts");
    expect(Object.fromEntries(merged.lines)).toEqual({ 1: 2, 2: 5, 3: 0, 4: 1 });
    expect(Object.fromEntries(merged.branches)).toEqual({ 1: { covered: 2, total: 2 }, 4: { covered: 0, total: 4 } });
    expect(merged.functions).toEqual({ covered: 2, total: 3 });
    expect(a.lines.get(2)).toBe(0); // inputs untouched
  });

  it("keeps functions from whichever side has them", () => {
    const a = { ...file("a.ts", []), functions: { covered: 1, total: 1 } };
    expect(mergeCoverage(file("a.ts", []), a).functions).toEqual({ covered: 1, total: 1 });
    expect(mergeCoverage(file("a.ts", []), file("a.ts", [])).functions).toBeUndefined();
  });
});

describe("summarise", () => {
  it("counts lines with hits and sums branches over files", () => {
    const totals = summarise([
      file(
        "a",
        [
          [1, 1],
          [2, 0],
        ],
        [[1, 1, 2]],
      ),
      file("b", [[5, 3]], [[5, 0, 2]]),
    ]);
    expect(totals).toEqual({ lines: { covered: 2, total: 3 }, branches: { covered: 1, total: 4 } });
  });
});

describe("uncoveredRanges", () => {
  it("joins uncovered lines into ranges that end at a covered line", () => {
    const lines = new Map([
      [14, 0],
      [1, 1],
      [2, 0],
      [3, 0],
      [5, 0],
      [6, 2],
      [7, 0],
      [20, 1],
    ]);
    expect(uncoveredRanges(lines)).toEqual([
      [2, 5],
      [7, 14],
    ]);
  });

  it("is empty when everything ran or nothing is instrumented", () => {
    expect(uncoveredRanges(new Map([[1, 1]]))).toEqual([]);
    expect(uncoveredRanges(new Map())).toEqual([]);
    expect(uncoveredRanges(new Map([[9, 0]]))).toEqual([[9, 9]]);
  });
});

describe("uncoveredRangesOfJson", () => {
  it("reads stored line data as uncoveredRanges reads the Map", () => {
    const lines: [number, number][] = [
      [1, 1],
      [2, 0],
      [3, 0],
      [5, 0],
      [6, 2],
      [7, 0],
      [14, 0],
      [20, 1],
      [21, 0],
    ];
    expect(uncoveredRangesOfJson(JSON.stringify(lines))).toEqual([
      [2, 5],
      [7, 14],
      [21, 21],
    ]);
    expect(uncoveredRangesOfJson(JSON.stringify(lines))).toEqual(uncoveredRanges(new Map(lines)));
    expect(uncoveredRangesOfRow(lines)).toEqual(uncoveredRanges(new Map(lines)));
    expect(
      uncoveredRangesOfRow([
        [9, 0],
        [1, 0],
        [2, 1],
      ]),
    ).toEqual([
      [1, 1],
      [9, 9],
    ]);
  });

  it("handles no lines, and falls back to sorting when the data is out of order", () => {
    expect(uncoveredRangesOfJson("[]")).toEqual([]);
    expect(uncoveredRangesOfJson("[[9,0],[1,0],[2,1]]")).toEqual([
      [1, 1],
      [9, 9],
    ]);
  });
});
