import { formatDuration } from "../shared/duration.ts";

/** Plain-text rendering for table output: aligned columns, key/value blocks, relative times. No colours, no deps. */

const GAP = "  ";
export const NONE = "-";

/** Aligns rows into columns separated by two spaces; the last column is not padded, so lines carry no trailing blanks. */
export function alignColumns(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, index) => {
      widths[index] = Math.max(widths[index] ?? 0, displayWidth(cell));
    });
  }
  return rows
    .map((row) =>
      row
        .map((cell, index) => (index === row.length - 1 ? cell : pad(cell, widths[index] ?? 0)))
        .join(GAP)
        .trimEnd(),
    )
    .join("\n");
}

export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  return alignColumns([headers, ...rows]);
}

/** A `KEY  value` block for one object, in the given order; empty values show as "-". */
export function formatFields(fields: readonly (readonly [string, string | null | undefined])[]): string {
  return alignColumns(
    fields.map(([key, value]) => [`${key}:`, value === null || value === undefined || value === "" ? NONE : value]),
  );
}

/** "just now", "42s ago", "5m ago", "3h ago", "2d ago", "in 5m"; older than 30 days: the date. Null → "-". */
export function relativeTime(iso: string | null | undefined, now: number = Date.now()): string {
  if (iso === null || iso === undefined) return NONE;
  const time = Date.parse(iso);
  if (Number.isNaN(time)) return iso;
  const seconds = Math.round((now - time) / 1000);
  const magnitude = Math.abs(seconds);
  if (magnitude < 5) return "just now";
  if (magnitude >= 30 * 86_400) return iso.slice(0, 10);
  const amount = humanAmount(magnitude);
  return seconds > 0 ? `${amount} ago` : `in ${amount}`;
}

function humanAmount(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}

/** How long from one timestamp to another ("1m5s"); "-" when either is missing. */
export function elapsed(from: string | null | undefined, to: string | null | undefined): string {
  if (!from || !to) return NONE;
  const ms = Date.parse(to) - Date.parse(from);
  return Number.isNaN(ms) || ms < 0 ? NONE : formatDuration(ms);
}

function pad(cell: string, width: number): string {
  return cell + " ".repeat(Math.max(0, width - displayWidth(cell)));
}

/** Code points, not UTF-16 units, so "→" or an accented name counts as one column. */
function displayWidth(text: string): number {
  return [...text].length;
}
