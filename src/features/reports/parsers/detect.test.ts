import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DETECT_HEAD_BYTES, detectFormat } from "./detect.ts";
import { FIXTURES_DIR, fixture } from "./parser.test-helpers.ts";
import type { ReportFormat } from "./parser.types.ts";

/** The fixture names start with their format: the name is the expectation, never an input to detection. */
function formatFromName(name: string): ReportFormat {
  if (name.startsWith("junit-")) return "junit";
  if (name.startsWith("cobertura-")) return "cobertura";
  if (name.startsWith("jacoco-")) return "jacoco";
  if (name.startsWith("lcov-")) return "lcov";
  if (name.startsWith("go-coverprofile-")) return "go-coverprofile";
  if (name.startsWith("istanbul-coverage-summary")) return "istanbul-summary";
  if (name.startsWith("istanbul-")) return "istanbul";
  throw new Error(`no format known for fixture ${name}`);
}

function head(text: string | Buffer): Buffer {
  const bytes = typeof text === "string" ? Buffer.from(text, "utf8") : text;
  return bytes.subarray(0, DETECT_HEAD_BYTES);
}

describe("detectFormat", () => {
  const files = readdirSync(FIXTURES_DIR).filter((f) => !f.endsWith(".md"));

  it("sees every shared fixture", () => {
    expect(files.length).toBeGreaterThanOrEqual(28);
  });

  for (const file of files) {
    it(`detects ${file} from its first 8 KiB`, () => {
      expect(detectFormat(head(fixture(file)))).toBe(formatFromName(file));
    });
  }

  it("detects from a head cut in the middle of a multi-byte character or mid-JSON", () => {
    const vitest = fixture("junit-vitest-failures.xml");
    expect(detectFormat(vitest.subarray(0, 2001))).toBe("junit");
    expect(detectFormat(fixture("istanbul-coverage-final.json").subarray(0, 120))).toBe("istanbul");
    expect(detectFormat(fixture("istanbul-coverage-summary.json").subarray(0, 20))).toBe("istanbul-summary");
  });

  it("reads XML roots after a BOM, comments, processing instructions and a DOCTYPE with an internal subset", () => {
    expect(detectFormat(head('\uFEFF\n  <!-- by a tool -->\n<?xml-stylesheet href="x.xsl"?>\n<testsuite name="a"/>'))).toBe(
      "junit",
    );
    expect(detectFormat(head('<?xml version="1.0"?>\n<!DOCTYPE report [ <!ELEMENT report ANY> ]>\n<report name="p">'))).toBe(
      "jacoco",
    );
    expect(detectFormat(head("<ns:testsuites xmlns:ns='urn:x'>"))).toBe("junit");
    const utf16 = Buffer.concat([
      Buffer.from([0xff, 0xfe]),
      Buffer.from('<?xml version="1.0" encoding="UTF-16"?><coverage line-rate="1">', "utf16le"),
    ]);
    expect(detectFormat(utf16)).toBe("cobertura");
  });

  it("reads text formats: Go profiles by their mode line, LCOV by its first record", () => {
    expect(detectFormat(head("mode: count\nm/a.go:1.1,2.2 1 0\n"))).toBe("go-coverprofile");
    expect(detectFormat(head("mode: atomic"))).toBe("go-coverprofile");
    expect(detectFormat(head("TN:\nSF:src/a.ts\nDA:1,1\nend_of_record\n"))).toBe("lcov");
    expect(detectFormat(head("SF:/abs/a.js\r\nDA:1,0\r\n"))).toBe("lcov");
  });

  it("returns undefined for content that is none of the formats", () => {
    const negatives = [
      "",
      "   \n\t ",
      "hello world, this is a plain text file\nwith two lines",
      "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head><body></body></html>",
      '<?xml version="1.0"?><project><modelVersion>4.0.0</modelVersion></project>',
      '<coverage generated="1" clover="4.4.1"><project/></coverage>',
      "[1, 2, 3]",
      '{"name": "stagegate", "version": "0.1.0"}',
      "mode: sometimes\nx.go:1.1,2.2 1 0",
      "This file has SF: in the middle\nand TN: too",
      "<?xml version='1.0'?><!-- unterminated comment",
    ];
    for (const text of negatives) expect(detectFormat(head(text)), JSON.stringify(text)).toBeUndefined();
    expect(detectFormat(Buffer.from([0x00, 0x01, 0x02, 0xff, 0x89, 0x50, 0x4e, 0x47]))).toBeUndefined();
  });
});
