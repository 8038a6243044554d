import { ReportParseError } from "../parser.types.ts";

export interface TopLevelEntry {
  key: string;
  /** The property's value as JSON text, for `JSON.parse`. */
  json: string;
  /** Line of the file where the value starts, for error messages. */
  line: number;
}

type Phase = "start" | "key" | "nextKey" | "inKey" | "colon" | "value" | "inValue" | "done";

const SPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/**
 * Splits a JSON object into its top-level properties as text arrives, without parsing the values: it tracks only
 * strings, escapes and bracket depth. Istanbul files are one object keyed by file path, so memory is bounded by the
 * largest single file entry (capped by `maxEntryLength`) rather than by the whole file. Each value is then parsed
 * with `JSON.parse`, which also catches whatever this scanner does not check inside a value.
 */
export class JsonObjectSplitter {
  private phase: Phase = "start";
  private line = 1;
  private parts: string[] = [];
  private length = 0;
  private key = "";
  private valueLine = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;

  constructor(private readonly options: { format: "istanbul" | "istanbul-summary"; maxEntryLength: number }) {}

  push(text: string): TopLevelEntry[] {
    const entries: TopLevelEntry[] = [];
    let captureFrom = this.phase === "inKey" || this.phase === "inValue" ? 0 : -1;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 0x0a) this.line++;
      switch (this.phase) {
        case "inKey":
          if (this.string(c)) continue;
          this.capture(text.slice(captureFrom, i + 1));
          captureFrom = -1;
          this.key = this.parseKey(this.take());
          this.phase = "colon";
          continue;
        case "inValue":
          if (this.inString) {
            this.string(c);
            continue;
          }
          if (c === QUOTE) this.inString = true;
          else if (c === OPEN_BRACE || c === OPEN_BRACKET) this.depth++;
          else if ((c === CLOSE_BRACE || c === CLOSE_BRACKET) && this.depth > 0) this.depth--;
          else if (this.depth === 0 && (c === COMMA || c === CLOSE_BRACE)) {
            this.capture(text.slice(captureFrom, i));
            captureFrom = -1;
            entries.push({ key: this.key, json: this.take().trimEnd(), line: this.valueLine });
            this.phase = c === COMMA ? "nextKey" : "done";
          }
          continue;
      }
      if (SPACE.has(c)) continue;
      captureFrom = this.structural(c, i, captureFrom);
    }
    if (captureFrom >= 0) this.capture(text.slice(captureFrom));
    return entries;
  }

  /** Call when the input has ended: an object that never closed means a truncated upload. */
  end(): void {
    if (this.phase === "done") return;
    if (this.phase === "start") throw this.error("the file is empty: expected a JSON object");
    throw this.error("the JSON ends before its closing }: was the upload cut short?");
  }

  /** Handles a non-space character between tokens; returns where capturing starts, or -1. */
  private structural(c: number, index: number, captureFrom: number): number {
    const expected = (what: string) => this.error(`expected ${what} but found "${String.fromCharCode(c)}"`);
    switch (this.phase) {
      case "start":
        if (c !== OPEN_BRACE) throw expected("a JSON object ({)");
        this.phase = "key";
        return captureFrom;
      case "key":
      case "nextKey":
        if (c === CLOSE_BRACE && this.phase === "key") {
          this.phase = "done";
          return captureFrom;
        }
        if (c !== QUOTE) throw expected("a property name");
        this.phase = "inKey";
        this.inString = true;
        return index;
      case "colon":
        if (c !== COLON) throw expected(":");
        this.phase = "value";
        return captureFrom;
      case "value":
        if (c === COMMA || c === CLOSE_BRACE) throw expected("a value");
        this.phase = "inValue";
        this.valueLine = this.line;
        this.depth = c === OPEN_BRACE || c === OPEN_BRACKET ? 1 : 0;
        this.inString = c === QUOTE;
        return index;
      case "done":
        throw expected("nothing after the closing }");
      default:
        return captureFrom;
    }
  }

  /** Advances string state; returns true while still inside the string. */
  private string(c: number): boolean {
    if (this.escaped) this.escaped = false;
    else if (c === BACKSLASH) this.escaped = true;
    else if (c === QUOTE) this.inString = false;
    return this.inString;
  }

  private capture(text: string): void {
    this.length += text.length;
    if (this.length > this.options.maxEntryLength) {
      throw this.error(`an entry is larger than ${this.options.maxEntryLength} characters`);
    }
    this.parts.push(text);
  }

  private take(): string {
    const text = this.parts.join("");
    this.parts = [];
    this.length = 0;
    return text;
  }

  private parseKey(raw: string): string {
    try {
      return JSON.parse(raw) as string;
    } catch (cause) {
      throw new ReportParseError({
        format: this.options.format,
        line: this.line,
        message: `line ${this.line}: invalid property name ${raw.slice(0, 80)}`,
        cause,
      });
    }
  }

  private error(message: string): ReportParseError {
    return new ReportParseError({ format: this.options.format, line: this.line, message: `JSON line ${this.line}: ${message}` });
  }
}
