import type { LoadSummary } from "./load.ts";

export interface Measured {
  scenario: string;
  summary: LoadSummary;
}

const fixed = (value: number, digits: number): string => value.toFixed(digits);

/** "3.2×", or "—" when the baseline is 0 ms (autocannon's whole-ms resolution) and a ratio would mean nothing. */
function ratio(value: number, baseline: number): string {
  return baseline > 0 ? `${fixed(value / baseline, 1)}×` : "—";
}

/** A Markdown table, so a run can be pasted into bench/RESULTS.md as it is. */
export function resultsTable(rows: Measured[], options: { baseline: LoadSummary; targetP99Ms: number }): string {
  const { baseline, targetP99Ms } = options;
  const header = [
    "scenario",
    "req/s",
    "p50 ms",
    "p99 ms",
    "non-2xx",
    "p50 × healthz",
    "p99 × healthz",
    `p99 < ${targetP99Ms} ms`,
  ];
  const lines = rows.map(({ scenario, summary: s }) => [
    scenario,
    fixed(s.requestsPerSecond, 0),
    String(s.p50),
    String(s.p99),
    s.errors > 0 ? `${s.non2xx} (+${s.errors} errors)` : String(s.non2xx),
    ratio(s.p50, baseline.p50),
    ratio(s.p99, baseline.p99),
    s.p99 < targetP99Ms ? "PASS" : "FAIL",
  ]);
  return markdownTable(header, lines);
}

/** Columns padded to their widest cell, so the table reads well in a terminal and pastes into Markdown as it is. */
export function markdownTable(header: string[], lines: string[][]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...lines.map((line) => line[column]?.length ?? 0)));
  const format = (cells: string[]): string => `| ${cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(" | ")} |`;
  const rule = `|${widths.map((width) => "-".repeat(width + 2)).join("|")}|`;
  return [format(header), rule, ...lines.map(format)].join("\n");
}

/** Status codes per scenario, for every scenario that saw anything but 2xx. */
export function statusNotes(rows: Measured[]): string[] {
  return rows
    .filter(({ summary }) => summary.non2xx > 0 || summary.errors > 0)
    .map(({ scenario, summary }) => {
      const codes = Object.entries(summary.statusCounts)
        .map(([code, count]) => `${code}: ${count}`)
        .join(", ");
      const lost = summary.errors - summary.timeouts;
      return `${scenario}: ${codes}; ${summary.timeouts} timeouts (no answer in 10 s), ${lost} other connection errors`;
    });
}
