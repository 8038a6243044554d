/** A run of text with the SGR style in force (ANSI escape codes, ECMA-48 "Select Graphic Rendition"). */
export interface Span {
  text: string;
  fg: number | null;
  bold: boolean;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escapes start with ESC
const ESCAPE = /\x1b\[([0-9;]*)m/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: other CSI sequences (cursor moves, erase) are dropped
const OTHER_CSI = /\x1b\[[0-9;?]*[A-Za-ln-z]/g;

export function parseAnsi(line: string): Span[] {
  const text = line.replace(OTHER_CSI, "");
  const spans: Span[] = [];
  let fg: number | null = null;
  let bold = false;
  let last = 0;
  for (const match of text.matchAll(ESCAPE)) {
    if (match.index > last) spans.push({ text: text.slice(last, match.index), fg, bold });
    last = match.index + match[0].length;
    const codes = (match[1] ?? "").split(";").filter(Boolean).map(Number);
    if (codes.length === 0) codes.push(0);
    for (const code of codes) {
      if (code === 0) {
        fg = null;
        bold = false;
      } else if (code === 1) bold = true;
      else if (code === 22) bold = false;
      else if (code === 39) fg = null;
      else if ((code >= 30 && code <= 37) || (code >= 90 && code <= 97)) fg = code;
    }
  }
  if (last < text.length) spans.push({ text: text.slice(last), fg, bold });
  return spans;
}

/** Colours readable on the log's dark background. */
export const ANSI_COLOURS: Record<number, string> = {
  30: "#6e7681",
  31: "#ff7b72",
  32: "#3fb950",
  33: "#d29922",
  34: "#58a6ff",
  35: "#bc8cff",
  36: "#39c5cf",
  37: "#e6edf3",
  90: "#8b949e",
  91: "#ffa198",
  92: "#56d364",
  93: "#e3b341",
  94: "#79c0ff",
  95: "#d2a8ff",
  96: "#56d4dd",
  97: "#ffffff",
};

export const stripAnsi = (line: string) => line.replace(ESCAPE, "").replace(OTHER_CSI, "");
