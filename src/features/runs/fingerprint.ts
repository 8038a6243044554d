import { createHash } from "node:crypto";

/**
 * The shape of an error message, so the same failure on 8 workers (different ids, ports, paths, addresses) is one
 * group: UUIDs, hex, paths, URLs, IPs, quoted values and numbers become placeholders. Order matters: wider patterns first.
 */
const RULES: [RegExp, string][] = [
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, "<uuid>"],
  [/\b[a-z][a-z0-9+.-]*:\/\/[^\s'"]+/gi, "<url>"],
  [/\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b/g, "<ip>"],
  [/(?:[A-Za-z]:)?(?:[\\/][\w.@%+~-]+){2,}[\\/]?/g, "<path>"],
  [/\b0x[0-9a-f]+\b/gi, "<hex>"],
  [/\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b/gi, "<hex>"],
  [/\b[a-z]+[_-](?=[a-z0-9]*\d)[a-z0-9]{6,}\b/gi, "<id>"],
  [/-?\b\d+(?:\.\d+)?(?:e[+-]?\d+)?\b/gi, "<n>"],
  [/'[^']{1,200}'|"[^"]{1,200}"/g, "<str>"],
];

export function normaliseMessage(message: string): string {
  // The first line names the error; the stack below it varies with line numbers and frames.
  let text = (message.split("\n", 1)[0] ?? "").slice(0, 1000);
  for (const [pattern, replacement] of RULES) text = text.replace(pattern, replacement);
  return text.replace(/\s+/g, " ").trim();
}

export function fingerprintOf(template: string): string {
  return createHash("sha256").update(template).digest("hex").slice(0, 16);
}
