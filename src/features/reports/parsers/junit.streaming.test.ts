import { describe, expect, it } from "vitest";
import { parseJUnit } from "./junit.parser.ts";
import { chunked, collect, escapeXml, fixture, random } from "./parser.test-helpers.ts";
import type { Chunks } from "./parser.types.ts";

function generated(cases: number): string {
  const parts = ['<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="big">\n'];
  for (let s = 0; s < cases / 100; s += 1) {
    parts.push(`  <testsuite name="suite ${s}">\n`);
    for (let c = 0; c < 100; c += 1) {
      const n = s * 100 + c;
      if (n % 97 === 0)
        parts.push(
          `    <testcase classname="pkg.S${s}" name="t${n} ✓" time="0.${n}"><failure message="boom ${n}">at line ${n}</failure></testcase>\n`,
        );
      else parts.push(`    <testcase classname="pkg.S${s}" name="t${n} ✓" time="0.${n}"/>\n`);
    }
    parts.push("  </testsuite>\n");
  }
  parts.push("</testsuites>\n");
  return parts.join("");
}

describe("parseJUnit streaming", () => {
  it("gives the same cases whether a small file arrives whole, in 7-byte or in 1-byte chunks", async () => {
    for (const name of ["junit-surefire-email-test.xml", "junit-unicode-astral.xml", "junit-xunit-net-bom.xml"]) {
      const data = fixture(name);
      const whole = await collect(parseJUnit(chunked(data, data.length)));
      expect(await collect(parseJUnit(chunked(data, 7)))).toMatchObject({ cases: whole.cases, summary: whole.summary });
      expect((await collect(parseJUnit(chunked(data, 1)))).cases).toEqual(whole.cases);
    }
  });

  it("reads a 20k-case file in 64 KiB chunks, yielding batches as it goes", async () => {
    const data = Buffer.from(generated(20_000), "utf8");
    const streamed = await collect(parseJUnit(chunked(data, 64 * 1024)));
    const whole = await collect(parseJUnit(chunked(data, data.length)));
    expect(streamed.cases).toHaveLength(20_000);
    expect(streamed.cases).toEqual(whole.cases);
    expect(streamed.summary).toEqual({ suites: 200, cases: 20_000, declared: {}, warnings: [] });
    expect(streamed.batches).toBeGreaterThanOrEqual(Math.floor(data.length / (64 * 1024)));
    expect(streamed.cases.filter((c) => c.status === "failed")).toHaveLength(Math.ceil(20_000 / 97));
    expect(streamed.cases[97]).toMatchObject({
      name: "t97 ✓",
      status: "failed",
      message: "boom 97",
      stack: "at line 97",
      suite: ["suite 0"],
    });
  });

  it("hands out the first cases before it has read the whole upload", async () => {
    const data = Buffer.from(generated(2_000), "utf8");
    let chunksRead = 0;
    const source = async function* (): Chunks {
      for await (const chunk of chunked(data, 4096)) {
        chunksRead += 1;
        yield chunk;
      }
    };
    const parser = parseJUnit(source());
    const first = await parser.next();
    expect(first.done).toBe(false);
    expect(chunksRead).toBeLessThan(3);
    await parser.return({ suites: 0, cases: 0, declared: {}, warnings: [] });
  });
});

describe("parseJUnit encodings and text", () => {
  it("decodes a file whose declaration says ISO-8859-1", async () => {
    const xml =
      '<?xml version="1.0" encoding="ISO-8859-1"?>\n<testsuite name="Prüfung"><testcase name="Müller café ×½" time="1.5"/></testsuite>';
    const { cases } = await collect(parseJUnit(chunked(Buffer.from(xml, "latin1"), 5)));
    expect(cases[0]).toMatchObject({ name: "Müller café ×½", suite: ["Prüfung"], durationMs: 1500 });
  });

  it("decodes windows-1252 and UTF-16 with a BOM", async () => {
    const cp1252 = Buffer.concat([
      Buffer.from('<?xml version="1.0" encoding="windows-1252"?><testsuite><testcase name="price '),
      Buffer.from([0x80]),
      Buffer.from('"/></testsuite>'),
    ]);
    expect((await collect(parseJUnit(chunked(cp1252, 3)))).cases[0]?.name).toBe("price €");
    const utf16 = Buffer.concat([
      Buffer.from([0xff, 0xfe]),
      Buffer.from('<?xml version="1.0" encoding="UTF-16"?><testsuite><testcase name="Grüße 𒍺"/></testsuite>', "utf16le"),
    ]);
    expect((await collect(parseJUnit(chunked(utf16, 3)))).cases[0]?.name).toBe("Grüße 𒍺");
  });

  it("accepts string chunks, with a leading BOM, and byte chunks followed by strings", async () => {
    const strings = async function* (): Chunks {
      yield '\uFEFF<testsuite><testcase name="caf';
      yield 'é"/></testsuite>';
    };
    expect((await collect(parseJUnit(strings()))).cases[0]?.name).toBe("café");
    // The ü is split between two byte chunks, and a string chunk follows while the decoder still holds bytes.
    const bytes = Buffer.from('<testsuite><testcase name="ü', "utf8");
    const mixed = async function* (): Chunks {
      yield bytes.subarray(0, bytes.length - 1);
      yield bytes.subarray(bytes.length - 1);
      yield '"/></testsuite>';
    };
    expect((await collect(parseJUnit(mixed()))).cases[0]?.name).toBe("ü");
  });

  it("caps system-out at maxTextPerField and says how much was cut", async () => {
    const out = "x".repeat(10_000);
    const xml = `<testsuite><testcase name="loud"><system-out>${out}</system-out><system-err><![CDATA[e1]]> and <![CDATA[e2]]></system-err></testcase></testsuite>`;
    const { cases } = await collect(parseJUnit(chunked(xml, 1000), { maxTextPerField: 100 }));
    expect(cases[0]?.systemOut).toBe(`${"x".repeat(100)}… [truncated 9900 chars]`);
    expect(cases[0]?.systemErr).toBe("e1 and e2");
  });

  it("removes control characters XML forbids and warns, instead of refusing the file", async () => {
    const xml =
      '<testsuite><testcase name="colour"><system-out>red \u001b[31mX\u001b[0m done</system-out></testcase></testsuite>';
    const { cases, summary } = await collect(parseJUnit(chunked(xml, 8)));
    expect(cases[0]?.systemOut).toBe("red [31mX[0m done");
    expect(summary.warnings).toEqual(["removed control characters that XML does not allow"]);
  });

  it("removes them from attributes and CDATA too, however the file is cut into chunks", async () => {
    const xml =
      '<testsuite name="s\u0007uite"><testcase classname="pkg.\u0001T" name="beep\u0007">' +
      '<failure message="bell \u0007 rang">at x\u0000</failure><system-err><![CDATA[err\u001b[0m]]></system-err>' +
      '</testcase><testcase name="clean"/></testsuite>';
    for (const size of [3, 1000]) {
      const { cases, summary } = await collect(parseJUnit(chunked(xml, size)));
      expect(cases.map((c) => [c.suite, c.classname, c.name, c.message, c.stack, c.systemErr])).toEqual([
        [["suite"], "pkg.T", "beep", "bell  rang", "at x", "err[0m"],
        [["suite"], null, "clean", null, null, null],
      ]);
      expect(summary.warnings).toEqual(["removed control characters that XML does not allow"]);
    }
  });

  it("reads durations from time in seconds, Bazel's duration, and leaves them null when missing or unreadable", async () => {
    const xml = `<testsuite>
      <testcase name="a" time="0.000123456"/><testcase name="b" time="0"/><testcase name="c"/>
      <testcase name="d" duration="2"/><testcase name="e" time="1,234.5"/><testcase name="f" time="soon"/><testcase name="g" time="1.0E-3"/>
    </testsuite>`;
    const { cases } = await collect(parseJUnit(chunked(xml, 64)));
    expect(cases.map((c) => c.durationMs)).toEqual([0.123, 0, null, 2000, 1234500, null, 1]);
  });
});

describe("parseJUnit reruns written as repeated test cases", () => {
  const goSuite = (cases: string) =>
    `<testsuites><testsuite name="example.com/pkg"><properties><property name="go.version" value="go1.22.1"/></properties>${cases}</testsuite></testsuites>`;

  it("reads a gotestsum --rerun-fails test that failed then passed as flaky", async () => {
    const xml = goSuite(`
      <testcase classname="example.com/pkg" name="TestFlaky" time="0.100"><failure message="Failed">flaky_test.go:9: boom</failure></testcase>
      <testcase classname="example.com/pkg" name="TestStable" time="0.010"/>
      <testcase classname="example.com/pkg" name="TestFlaky/sub" time="0.050"/>
      <testcase classname="example.com/pkg" name="TestFlaky" time="0.200"/>`);
    const { cases } = await collect(parseJUnit(chunked(xml, 16)));
    expect(cases.map((c) => [c.name, c.status, c.reruns])).toEqual([
      ["TestStable", "passed", 0],
      ["TestFlaky/sub", "passed", 0],
      ["TestFlaky", "flaky", 1],
    ]);
    expect(cases[2]).toMatchObject({ message: "Failed", stack: "flaky_test.go:9: boom", durationMs: 300 });
  });

  it("counts every failed rerun of a test that never passed", async () => {
    const fail = '<testcase classname="example.com/pkg" name="TestBroken"><failure message="Failed"/></testcase>';
    const { cases } = await collect(parseJUnit(chunked(goSuite(fail + fail + fail), 32)));
    expect(cases.map((c) => [c.name, c.status, c.reruns])).toEqual([["TestBroken", "failed", 2]]);
  });

  it("does not merge same-named tests outside Go suites", async () => {
    const xml =
      '<testsuite name="js"><testcase classname="c" name="same"><failure/></testcase><testcase classname="c" name="same"/></testsuite>';
    const { cases } = await collect(parseJUnit(chunked(xml, 32)));
    expect(cases.map((c) => c.status)).toEqual(["failed", "passed"]);
  });
});

describe("parseJUnit property: names survive escaping", () => {
  const ALPHABET = ["a", "Z", "0", " ", "<", ">", "&", '"', "'", "é", "ß", "中", "😀", "𒍺", "\t", "]]>", "&amp;", "›", "/"];

  it("round-trips random names with markup characters and unicode", async () => {
    for (let seed = 1; seed <= 20; seed += 1) {
      const next = random(seed);
      const names = Array.from({ length: 50 }, () =>
        Array.from({ length: 1 + Math.floor(next() * 12) }, () => ALPHABET[Math.floor(next() * ALPHABET.length)] ?? "").join(""),
      );
      const body = names.map(
        (n) => `<testcase classname="${escapeXml(n)}" name="${escapeXml(n)}"><skipped message="${escapeXml(n)}"/></testcase>`,
      );
      const xml = `<?xml version="1.0"?><testsuite name="p">${body.join("\n")}</testsuite>`;
      const { cases } = await collect(parseJUnit(chunked(xml, 1 + Math.floor(next() * 50))));
      // Attribute values normalise a literal tab to a space (XML 1.0 §3.3.3); a blank classname reads as null.
      const expected = names.map((n) => n.replace(/\t/g, " "));
      expect(
        cases.map((c) => c.name),
        `seed ${seed}`,
      ).toEqual(expected);
      expect(
        cases.map((c) => c.classname),
        `seed ${seed}`,
      ).toEqual(expected.map((n) => (n.trim() === "" ? null : n)));
    }
  });
});
