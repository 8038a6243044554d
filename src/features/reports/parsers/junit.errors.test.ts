import { describe, expect, it } from "vitest";
import { parseJUnit } from "./junit.parser.ts";
import { chunked, collect, fixture } from "./parser.test-helpers.ts";
import { type ParserLimits, ReportParseError } from "./parser.types.ts";

async function parseError(input: Buffer | string, limits?: Partial<ParserLimits>): Promise<ReportParseError> {
  try {
    await collect(parseJUnit(chunked(input, 64), limits));
  } catch (error) {
    if (error instanceof ReportParseError) return error;
    throw error;
  }
  throw new Error("expected the parse to fail");
}

describe("parseJUnit refuses dangerous XML", () => {
  it("refuses an external entity declaration (XXE)", async () => {
    const xml =
      '<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n<testsuite><testcase name="&xxe;"/></testsuite>';
    const error = await parseError(xml);
    expect(error).toMatchObject({ format: "junit", message: "DTD/entity declarations are not allowed", line: 2 });
    expect(error.column).toBeGreaterThan(0);
  });

  it("refuses entity expansion bombs (billion laughs)", async () => {
    const lols = Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i};`.repeat(10)}">`).join("\n");
    const xml = `<?xml version="1.0"?>\n<!DOCTYPE lolz [\n<!ENTITY lol0 "lol">\n${lols}\n]>\n<testsuite name="&lol9;"/>`;
    expect(await parseError(xml)).toMatchObject({ message: "DTD/entity declarations are not allowed", line: 13 });
  });

  it("refuses an entity that is not defined", async () => {
    const error = await parseError('<testsuite>\n  <testcase name="a &nbsp; b"/>\n</testsuite>');
    expect(error.message).toMatch(/^not well-formed XML: undefined entity/);
    expect(error.line).toBe(2);
  });

  it("accepts a DOCTYPE without an internal subset", async () => {
    const xml = '<?xml version="1.0"?>\n<!DOCTYPE testsuite SYSTEM "junit.dtd">\n<testsuite><testcase name="a"/></testsuite>';
    expect((await collect(parseJUnit(chunked(xml, 64)))).cases).toHaveLength(1);
  });

  it("refuses nesting deeper than maxDepth", async () => {
    const xml = `<testsuites>${"<testsuite>".repeat(20)}${"</testsuite>".repeat(20)}</testsuites>`;
    expect(await parseError(xml, { maxDepth: 10 })).toMatchObject({
      message: "elements are nested deeper than 10 levels",
      line: 1,
    });
  });
});

describe("parseJUnit refuses files it cannot read, saying where", () => {
  it("reports a truncated file with the line it ended on and the element it was in", async () => {
    const full = fixture("junit-vitest-failures.xml").toString("utf8");
    const at = full.indexOf('name="DatabaseService &gt; concurrent operations &gt; should handle concurrent SQL executions"');
    expect(at).toBeGreaterThan(0);
    // Cut inside the attribute value of a <testcase> start tag, on line 396 of 703.
    const cut = full.slice(0, at + 30);
    const error = await parseError(cut);
    expect(error.message).toBe("unexpected end of file inside <testsuite> (is the file truncated?)");
    expect(error.line).toBe(cut.split("\n").length);
  });

  it("names the open element when the file ends inside a test case's failure", async () => {
    const error = await parseError('<testsuites>\n<testsuite name="s">\n<testcase name="a">\n<failure>boom');
    expect(error).toMatchObject({ message: "unexpected end of file inside <failure> (is the file truncated?)", line: 4 });
  });

  it("refuses an XML file whose root is not a JUnit element", async () => {
    const error = await parseError('<?xml version="1.0"?>\n<coverage line-rate="1"><packages/></coverage>');
    expect(error).toMatchObject({ format: "junit", message: "not a JUnit report: root element <coverage>", line: 2 });
  });

  it("refuses HTML, plain text and empty files", async () => {
    expect((await parseError("<!DOCTYPE html><html><body>Bad gateway</body></html>")).message).toBe(
      "not a JUnit report: root element <html>",
    );
    expect(await parseError("this is not xml at all")).toMatchObject({
      line: 1,
      message: "not well-formed XML: text outside the root element (is this an XML file?)",
    });
    expect((await parseError("")).message).toBe("the file has no XML root element (is it empty or not XML?)");
    expect((await parseError(Buffer.alloc(0))).message).toBe("the file has no XML root element (is it empty or not XML?)");
  });

  it("says which element a mismatched closing tag broke", async () => {
    const error = await parseError('<testsuite>\n<testcase name="x">\n</testsuite>');
    expect(error).toMatchObject({ message: "not well-formed XML: <testcase> is closed by a different closing tag", line: 3 });
  });

  it("refuses an encoding it cannot decode", async () => {
    const error = await parseError(Buffer.from('<?xml version="1.0" encoding="x-klingon"?><testsuite/>'));
    expect(error).toMatchObject({
      message: 'unsupported encoding "x-klingon" in the XML declaration; re-encode the file as UTF-8',
      line: 1,
    });
  });

  it("stops at the first error after yielding what came before it", async () => {
    // Past the first KiB, which the decoder holds back to find the encoding.
    const good = '<testsuite><testcase name="a"/>'.padEnd(3000, " ");
    const parser = parseJUnit(chunked(`${good}<testcase name="b"></testsuite>`, 1000));
    expect((await parser.next()).value).toMatchObject([{ name: "a" }]);
    await expect(parser.next()).rejects.toBeInstanceOf(ReportParseError);
  });
});
