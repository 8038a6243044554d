import { describe, expect, it } from "vitest";
import { parseJacoco } from "./jacoco.parser.ts";
import { summarise } from "./paths.ts";
import { chunksOf, collect, fixture, fixtureText, linesCovered, parseError } from "./test-support.ts";

const NAME = "jacoco-0.8.3.xml";

/** JaCoCo's own counters (`<counter type missed covered>`) of a piece of the report. */
function counter(xml: string, type: string): { covered: number; total: number } | null {
  const match = new RegExp(`<counter type="${type}" missed="(\\d+)" covered="(\\d+)"/>`).exec(xml);
  return match ? { covered: Number(match[2]), total: Number(match[1]) + Number(match[2]) } : null;
}

describe("parseJacoco", () => {
  it("matches the report's LINE and BRANCH counters", async () => {
    const files = await collect(parseJacoco(fixture(NAME)));
    const text = fixtureText(NAME);
    const reportCounters = text.slice(text.lastIndexOf("</package>"));
    expect(counter(reportCounters, "LINE")).toEqual({ covered: 26, total: 38 });
    expect(summarise(files)).toEqual({ lines: counter(reportCounters, "LINE"), branches: counter(reportCounters, "BRANCH") });
  });

  it("yields one file per <sourcefile>, path = package/name, each matching its own counters", async () => {
    const files = await collect(parseJacoco(fixture(NAME, 3)));
    expect(files.map((f) => f.path)).toEqual([
      "test/Program.java",
      "test/TestClass.java",
      "test/AbstractClass_SampleImpl1.java",
      "test/GenericClass.java",
      "test/AbstractClass.java",
      "test/AbstractClass_SampleImpl2.java",
      "test/sub/Sub.java",
    ]);
    const blocks = [...fixtureText(NAME).matchAll(/<sourcefile name="[^"]+">[\s\S]*?<\/sourcefile>/g)].map((m) => m[0]);
    for (const [i, file] of files.entries()) {
      const block = blocks[i] ?? "";
      expect({ covered: linesCovered(file.lines), total: file.lines.size }).toEqual(counter(block, "LINE"));
      expect(file.functions).toEqual(counter(block, "METHOD"));
    }
  });

  it("counts a partly covered line as covered, with its branches cb of mb + cb", async () => {
    const files = await collect(parseJacoco(fixture(NAME)));
    const testClass = files.find((f) => f.path === "test/TestClass.java");
    expect(testClass?.lines.get(15)).toBe(2); // mi=3 ci=2
    expect(testClass?.lines.get(20)).toBe(0); // mi=4 ci=0
    expect(testClass?.branches.get(15)).toEqual({ covered: 1, total: 4 });
  });

  it("gives the same result when fed 3 bytes at a time", async () => {
    expect(await collect(parseJacoco(fixture(NAME, 3)))).toEqual(await collect(parseJacoco(fixture(NAME))));
  });

  it("refuses an internal DTD subset", async () => {
    const xml = '<!DOCTYPE report [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>\n<report name="x">&b;</report>';
    const error = await parseError(collect(parseJacoco(chunksOf(xml, 3))));
    expect(error.format).toBe("jacoco");
    expect(error.message).toMatch(/internal subset/);
  });

  it.each([
    ["a Cobertura report", '<coverage lines-valid="1"/>', 1, /root element is <coverage>/],
    [
      "a line without counts",
      '<report>\n<package name="p">\n<sourcefile name="A.java">\n<line nr="3" mi="1"/>',
      4,
      /needs a line/,
    ],
    ["a truncated report", '<report name="x">\n<package name="p">\n<sourcefile name="A.java">', 3, /unclosed/i],
  ])("refuses %s with line and column", async (_, xml, line, message) => {
    const error = await parseError(collect(parseJacoco(chunksOf(xml, 3))));
    expect(error.line).toBe(line);
    expect(error.column).toEqual(expect.any(Number));
    expect(error.message).toMatch(message);
  });
});
