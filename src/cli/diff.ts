import type { PatchDiff } from "../shared/reports.api.ts";

/**
 * The lines a unified diff adds or changes, per file of the new side, as sorted `[start, end]` ranges: what patch
 * coverage judges. Made for `git diff --unified=0`, but context lines (any `--unified`) are walked correctly too.
 * Deleted files and pure deletions add no lines and are left out.
 *
 * Hunk bodies are read by their line counts, not their first character, because an added line that starts with
 * "++ " looks exactly like a `+++ ` file header (https://git-scm.com/docs/diff-format).
 */
export class DiffParser {
  readonly #files = new Map<string, number[]>();
  #path: string | null = null;
  #newLine = 0;
  #oldLeft = 0;
  #newLeft = 0;

  push(line: string): void {
    if (this.#oldLeft > 0 || this.#newLeft > 0) {
      this.#hunkLine(line);
      return;
    }
    if (line.startsWith("+++ ")) {
      this.#path = newSidePath(line.slice(4));
      return;
    }
    if (line.startsWith("diff ")) {
      this.#path = null;
      return;
    }
    const hunk = /^@@ -\d+(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/.exec(line);
    if (hunk) {
      this.#oldLeft = Number(hunk[1] ?? 1);
      this.#newLine = Number(hunk[2]);
      this.#newLeft = Number(hunk[3] ?? 1);
    }
  }

  #hunkLine(line: string): void {
    const mark = line[0];
    if (mark === "\\") return; // "\ No newline at end of file"
    if (mark === "+" || mark === " " || line === "") {
      if (mark === "+" && this.#path !== null) this.#added(this.#path, this.#newLine);
      this.#newLine++;
      this.#newLeft--;
    }
    if (mark === "-" || mark === " " || line === "") this.#oldLeft--;
  }

  #added(path: string, line: number): void {
    const lines = this.#files.get(path) ?? [];
    lines.push(line);
    this.#files.set(path, lines);
  }

  result(): PatchDiff {
    return [...this.#files].map(([path, lines]) => ({ path, ranges: toRanges(lines) }));
  }
}

export function parseUnifiedDiff(text: string): PatchDiff {
  const parser = new DiffParser();
  for (const line of text.split("\n")) parser.push(line.endsWith("\r") ? line.slice(0, -1) : line);
  return parser.result();
}

/** Consecutive line numbers folded into ranges: 3,4,5,9 → [3,5],[9,9]. */
function toRanges(lines: number[]): [number, number][] {
  const sorted = [...new Set(lines)].sort((a, b) => a - b);
  const ranges: [number, number][] = [];
  for (const line of sorted) {
    const last = ranges[ranges.length - 1];
    if (last && last[1] === line - 1) last[1] = line;
    else ranges.push([line, line]);
  }
  return ranges;
}

/** `b/src/x.ts` → `src/x.ts`; `/dev/null` (a deleted file) → null; quoted names are unquoted; a trailing timestamp is cut. */
function newSidePath(raw: string): string | null {
  const name = raw.startsWith('"') ? unquote(raw) : (raw.split("\t")[0] ?? raw);
  if (name === "/dev/null") return null;
  return name.startsWith("b/") ? name.slice(2) : name;
}

const ESCAPES: Record<string, number> = { n: 10, t: 9, r: 13, '"': 34, "\\": 92, a: 7, b: 8, f: 12, v: 11 };

/** Git quotes names with special characters C-style, non-ASCII as octal UTF-8 bytes: "b/caf\303\251.ts". */
function unquote(quoted: string): string {
  const end = quoted.lastIndexOf('"');
  const body = quoted.slice(1, end > 0 ? end : undefined);
  const bytes: number[] = [];
  for (const part of body.split(/(\\[0-7]{3}|\\.)/)) {
    if (!part.startsWith("\\")) bytes.push(...Buffer.from(part, "utf8"));
    else if (part.length === 4) bytes.push(Number.parseInt(part.slice(1), 8));
    else bytes.push(ESCAPES[part[1] ?? "\\"] ?? part.charCodeAt(1));
  }
  return Buffer.from(bytes).toString("utf8");
}
