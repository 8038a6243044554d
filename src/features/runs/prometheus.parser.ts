/**
 * Prometheus text exposition format 0.0.4 (https://prometheus.io/docs/instrumenting/exposition_formats/):
 * `name{label="value",…} value [timestamp_ms]`, `# HELP` / `# TYPE` comments. Escapes in label values: \\ \" \n.
 */
export interface PromSample {
  name: string;
  labels: Record<string, string>;
  /** NaN, +Inf and -Inf are valid exposition values; the parser keeps them and the caller decides. */
  value: number;
  ts: number | undefined;
  /** 1-based line of the text, for error entries about the sample. */
  line: number;
}

export type PromLine = { ok: true; sample: PromSample } | { ok: false; line: number; reason: string };

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;

function parseValue(text: string): number | undefined {
  switch (text) {
    case "NaN":
      return Number.NaN;
    case "+Inf":
    case "Inf":
      return Number.POSITIVE_INFINITY;
    case "-Inf":
      return Number.NEGATIVE_INFINITY;
  }
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) return undefined;
  return Number(text);
}

function parseLabels(text: string, at: number): { labels: Record<string, string>; end: number } | string {
  const labels: Record<string, string> = {};
  let i = at + 1;
  for (;;) {
    while (text[i] === " " || text[i] === ",") i++;
    if (text[i] === "}") return { labels, end: i + 1 };
    const name = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(text.slice(i));
    if (!name) return `label name expected at column ${i + 1}`;
    i += name[0].length;
    while (text[i] === " ") i++;
    if (text[i] !== "=" || text[i + 1] !== '"') return `expected ="…" after label ${name[0]}`;
    i += 2;
    let value = "";
    for (;;) {
      const c = text[i];
      if (c === undefined) return `unterminated value of label ${name[0]}`;
      if (c === '"') break;
      if (c === "\\") {
        const next = text[i + 1];
        value += next === "n" ? "\n" : (next ?? "");
        i += 2;
        continue;
      }
      value += c;
      i++;
    }
    labels[name[0]] = value;
    i++;
  }
}

export function parsePromLine(raw: string, lineNumber: number): PromLine | undefined {
  const line = raw.trim();
  if (line === "" || line.startsWith("#")) return undefined;
  const name = NAME.exec(line);
  if (!name) return { ok: false, line: lineNumber, reason: "metric name expected" };
  let rest = line.slice(name[0].length);
  let labels: Record<string, string> = {};
  if (rest.startsWith("{")) {
    const parsed = parseLabels(rest, 0);
    if (typeof parsed === "string") return { ok: false, line: lineNumber, reason: parsed };
    labels = parsed.labels;
    rest = rest.slice(parsed.end);
  }
  const [valueText, tsText, extra] = rest.trim().split(/\s+/);
  const value = valueText === undefined ? undefined : parseValue(valueText);
  if (value === undefined) return { ok: false, line: lineNumber, reason: `value "${valueText ?? ""}" is not a number` };
  if (extra !== undefined) return { ok: false, line: lineNumber, reason: "unexpected text after the timestamp" };
  let ts: number | undefined;
  if (tsText !== undefined) {
    if (!/^-?\d+$/.test(tsText))
      return { ok: false, line: lineNumber, reason: `timestamp "${tsText}" is not integer milliseconds` };
    ts = Number(tsText);
  }
  return { ok: true, sample: { name: name[0], labels, value, ts, line: lineNumber } };
}

export function parsePrometheus(text: string): { samples: PromSample[]; errors: { line: number; reason: string }[] } {
  const samples: PromSample[] = [];
  const errors: { line: number; reason: string }[] = [];
  text.split("\n").forEach((line, index) => {
    const parsed = parsePromLine(line, index + 1);
    if (!parsed) return;
    if (parsed.ok) samples.push(parsed.sample);
    else errors.push({ line: parsed.line, reason: parsed.reason });
  });
  return { samples, errors };
}
