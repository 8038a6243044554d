import { createHash } from "node:crypto";

/**
 * Dates and times: ISO 8601 (`2024-05-01T12:00:03Z`, `…+02:00`), Python logging (`2024-05-01 12:00:03,123`), Spark's
 * log4j (`24/05/01 12:00:03`), and a time of day alone (`12:00:03.123`). Before paths: `24/05/01` looks like one.
 */
const TIMESTAMP =
  /\b(?:\d{4}-\d{2}-\d{2}|\d{2}\/\d{2}\/\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2}\b)?)?(?![\w/-])|\b\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?\b/g;

/**
 * A number glued to letters: a quantity with its unit (`65ms`, `2.00GiB`, `30s`) or a counter in a name (`step12`,
 * `container_1472176676028_407508_01_000023`). The digits become one placeholder and the letters stay, so `after 65ms`
 * and `after 195ms` are one group. Scientific notation (`1e-05`) is left to the plain number rule.
 */
const JOINED_NUMBER = /\b\d+(?:\.\d+)?(?![eE][+-]?\d)(?=[A-Za-z_])|(?<![\d.][eE][+-]?)(?<=[A-Za-z_])\d+(?:\.\d+)?/g;

/**
 * The shape of an error message, so the same failure on 8 workers (different ids, ports, paths, addresses, times,
 * durations) is one group: UUIDs, URLs, timestamps, IPs, paths, hex, numbers (alone or with a unit) and quoted values
 * become placeholders. Order matters: wider patterns first. A message without any of them keeps its text (and so
 * its fingerprint).
 */
const RULES: [RegExp, string][] = [
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, "<uuid>"],
  [/\b[a-z][a-z0-9+.-]*:\/\/[^\s'"]+/gi, "<url>"],
  [TIMESTAMP, "<ts>"],
  [/\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b/g, "<ip>"],
  [/(?:[A-Za-z]:)?(?:[\\/][\w.@%+~-]+){2,}[\\/]?/g, "<path>"],
  [/\b0x[0-9a-f]+\b/gi, "<hex>"],
  [/\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b/gi, "<hex>"],
  [/\b[a-z]+[_-](?=[a-z0-9]*\d)[a-z0-9]{6,}\b/gi, "<id>"],
  [JOINED_NUMBER, "<n>"],
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
