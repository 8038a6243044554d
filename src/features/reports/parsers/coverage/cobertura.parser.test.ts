import { describe, expect, it } from "vitest";
import { parseCobertura } from "./cobertura.parser.ts";
import { summarise } from "./paths.ts";
import { chunksOf, collect, drain, fixture, fixtureText, parseError } from "./test-support.ts";

/** The report's own totals from the root element's attributes. */
function declaredTotals(name: string) {
  const root = /<coverage\s[^>]*>/.exec(fixtureText(name))?.[0] ?? "";
  const attribute = (key: string) => Number(new RegExp(`\\s${key}="(\\d+)"`).exec(root)?.[1]);
  return {
    lines: { covered: attribute("lines-covered"), total: attribute("lines-valid") },
    branches: { covered: attribute("branches-covered"), total: attribute("branches-valid") },
  };
}

const FLAVOURS = [
  { name: "cobertura-coveragepy-conditions.xml", files: 1, sources: ["/home/runner/project"] },
  { name: "cobertura-java-2.1.1.xml", files: 7, sources: ["C:/temp"] },
  { name: "cobertura-coverlet-bom.xml", files: 18, sources: ["C:\\temp\\"] },
  { name: "cobertura-gocover-mux.xml", files: 5, sources: ["$GOMODCACHE"] },
];

describe("parseCobertura", () => {
  it.each(FLAVOURS)("matches the root totals of $name and returns its sources", async ({ name, files, sources }) => {
    const { items, result } = await drain(parseCobertura(fixture(name)));
    expect(items).toHaveLength(files);
    expect(new Set(items.map((f) => f.path)).size).toBe(files);
    expect(summarise(items)).toEqual(declaredTotals(name));
    expect(result).toEqual({ sources });
  });

  it.each(FLAVOURS)("gives the same result for $name fed 3 bytes at a time", async ({ name }) => {
    const whole = await drain(parseCobertura(fixture(name)));
    expect(await drain(parseCobertura(fixture(name, 3)))).toEqual(whole);
  });

  it("reads coverage.py's condition-coverage as branches covered of total on the line", async () => {
    const [file] = await collect(parseCobertura(fixture("cobertura-coveragepy-conditions.xml")));
    expect(file?.path).toBe("src/branchy.py");
    expect(Object.fromEntries(file?.branches ?? [])).toEqual({
      4: { covered: 1, total: 2 },
      8: { covered: 2, total: 2 },
      10: { covered: 0, total: 2 },
      12: { covered: 1, total: 3 },
    });
    expect(file?.lines.get(12)).toBe(2);
  });

  it("does not count a method's lines again under its class", async () => {
    const files = await collect(parseCobertura(fixture("cobertura-java-2.1.1.xml")));
    const impl = files.find((f) => f.path === "test/AbstractClass_SampleImpl1.java");
    expect(Object.fromEntries(impl?.lines ?? [])).toEqual({ 3: 1, 4: 1, 5: 1, 8: 0, 12: 0 });
    // gocover-cobertura writes 1892 <line> elements for 946 lines.
    const go = await collect(parseCobertura(fixture("cobertura-gocover-mux.xml")));
    expect((fixtureText("cobertura-gocover-mux.xml").match(/<line /g) ?? []).length).toBe(1892);
    expect(summarise(go).lines.total).toBe(946);
  });

  it("merges the classes of one file (coverlet's nested and generic classes) into one record", async () => {
    const files = await collect(parseCobertura(fixture("cobertura-coverlet-bom.xml")));
    expect((fixtureText("cobertura-coverlet-bom.xml").match(/<class /g) ?? []).length).toBe(37);
    const abstract = files.find((f) => f.path === "AbstractClass.cs");
    expect([...(abstract?.lines.keys() ?? [])].sort((a, b) => a - b)).toEqual(expect.arrayContaining([7, 20, 26, 32]));
  });

  it("refuses a DOCTYPE with an internal subset, even when split into 3-byte chunks", async () => {
    const xml = '<?xml version="1.0"?>\n<!DOCTYPE coverage [\n<!ENTITY lol "lol">\n]>\n<coverage>&lol;</coverage>\n';
    const error = await parseError(collect(parseCobertura(chunksOf(xml, 3))));
    expect(error.format).toBe("cobertura");
    expect(error.line).toBe(4);
    expect(error.column).not.toBeNull();
    expect(error.message).toMatch(/internal subset/);
  });

  it("allows an external DOCTYPE whose system literal contains a bracket", async () => {
    const xml = '<!DOCTYPE coverage SYSTEM "http://example.com/[v4]/coverage-04.dtd"><coverage><packages/></coverage>';
    expect(await drain(parseCobertura(chunksOf(xml, 5)))).toEqual({ items: [], result: { sources: [] } });
  });

  it("refuses a truncated report with the line where it stops", async () => {
    const text = fixtureText("cobertura-java-2.1.1.xml");
    const cut = text.split("\n").slice(0, 40).join("\n");
    const error = await parseError(collect(parseCobertura(chunksOf(cut, 3))));
    expect(error.line).toBe(40);
    expect(error.message).toMatch(/unclosed/i);
  });

  it.each([
    ["garbage", "not xml at all", 1, /text data outside of root node|root element/i],
    ["an empty file", "", 1, /root element/],
    ["a JUnit report", "<testsuites>\n<testsuite/></testsuites>", 1, /root element is <testsuites>/],
    [
      "a line without hits",
      '<coverage>\n<packages><package><classes><class filename="a.py">\n<line number="3"/>',
      3,
      /hit count/,
    ],
    ["a class without filename", "<coverage><packages><package><classes><class name='x'>", 1, /filename/],
    [
      "a bad condition-coverage",
      '<coverage><class filename="a"><line number="1" hits="1" condition-coverage="lots"/>',
      1,
      /50% \(1\/2\)/,
    ],
  ])("refuses %s with line and column", async (_, xml, line, message) => {
    const error = await parseError(collect(parseCobertura(chunksOf(xml, 3))));
    expect(error.line).toBe(line);
    expect(error.column).toEqual(expect.any(Number));
    expect(error.message).toMatch(message);
  });

  it("refuses nesting deeper than the limit", async () => {
    const xml = `<coverage>${"<a>".repeat(20)}${"</a>".repeat(20)}</coverage>`;
    const error = await parseError(collect(parseCobertura(chunksOf(xml, 7), { maxDepth: 10 })));
    expect(error.message).toMatch(/deeper than 10/);
  });
});
