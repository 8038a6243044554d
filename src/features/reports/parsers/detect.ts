import { TextDecoder } from "node:util";
import type { ReportFormat } from "./parser.types.ts";
import { sniffEncoding } from "./xml.decode.ts";

/** How much of the upload the caller hands over; detection must decide from this much. */
export const DETECT_HEAD_BYTES = 8192;

const XML_ROOTS: Record<string, ReportFormat> = {
  testsuites: "junit",
  testsuite: "junit",
  coverage: "cobertura",
  report: "jacoco",
};

function decodeHead(head: Buffer): string {
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(sniffEncoding(head));
  } catch {
    decoder = new TextDecoder("utf-8");
  }
  // The head may end inside a multi-byte character: a replacement character there is harmless.
  return decoder.decode(head.subarray(0, DETECT_HEAD_BYTES));
}

/**
 * The root element of an XML head: skips the declaration, processing instructions, comments and a DOCTYPE (with an
 * internal subset, whose `>` inside `[...]` do not end it). Undefined when the head is not XML or is cut before it.
 */
export function xmlRootName(text: string): { name: string; tag: string } | undefined {
  let rest = text;
  for (;;) {
    rest = rest.trimStart();
    if (rest.startsWith("<?")) {
      const end = rest.indexOf("?>");
      if (end < 0) return undefined;
      rest = rest.slice(end + 2);
    } else if (rest.startsWith("<!--")) {
      const end = rest.indexOf("-->");
      if (end < 0) return undefined;
      rest = rest.slice(end + 3);
    } else if (/^<!DOCTYPE\s/i.test(rest)) {
      const match = /^<!DOCTYPE[^[>]*(\[[\s\S]*?\]\s*)?>/i.exec(rest);
      if (!match) return undefined;
      rest = rest.slice(match[0].length);
    } else {
      break;
    }
  }
  const match = /^<([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)([^>]*)/.exec(rest);
  const name = match?.[2];
  return name === undefined ? undefined : { name, tag: match?.[3] ?? "" };
}

function detectXml(text: string): ReportFormat | undefined {
  const root = xmlRootName(text);
  if (!root) return undefined;
  // Clover XML also has a <coverage> root; it is not Cobertura, and reading it as such would give nonsense.
  if (root.name === "coverage" && /\bclover\s*=/.test(root.tag)) return undefined;
  return Object.hasOwn(XML_ROOTS, root.name) ? XML_ROOTS[root.name] : undefined;
}

/**
 * Istanbul's two JSON shapes. coverage-summary.json (json-summary reporter) starts with "total"; coverage-final.json
 * maps each path to { path, statementMap, fnMap, branchMap, s, f, b }. The head may be cut mid-JSON, so these are
 * regexes on the text rather than a parse.
 */
function detectJson(text: string): ReportFormat | undefined {
  if (/^\{\s*"total"\s*:/.test(text)) return "istanbul-summary";
  if (/^\{\s*"(?:[^"\\]|\\.)*"\s*:\s*\{\s*"(?:lines|statements|functions|branches)"\s*:\s*\{\s*"total"\s*:/.test(text))
    return "istanbul-summary";
  if (/^\{\s*"(?:[^"\\]|\\.)*"\s*:\s*\{\s*"path"\s*:/.test(text)) return "istanbul";
  if (/^\{\s*"(?:[^"\\]|\\.)*"\s*:\s*\{/.test(text) && /"statementMap"\s*:/.test(text)) return "istanbul";
  return undefined;
}

/** The report format from the first bytes of the content (never the file name); undefined when it is none we read. */
export function detectFormat(head: Buffer): ReportFormat | undefined {
  const text = decodeHead(head)
    .replace(/^\uFEFF/, "")
    .trimStart();
  if (text.startsWith("<")) return detectXml(text);
  if (text.startsWith("{")) return detectJson(text);
  if (/^mode: (?:set|count|atomic)\r?\n/.test(text) || /^mode: (?:set|count|atomic)$/.test(text)) return "go-coverprofile";
  // A tracefile starts with a test name or the first source file record (geninfo(1) "TRACEFILE FORMAT").
  if (/^(?:TN:[^\n]*\r?\n)*SF:./.test(text) || /^TN:[^\n]*$/.test(text)) return "lcov";
  return undefined;
}
