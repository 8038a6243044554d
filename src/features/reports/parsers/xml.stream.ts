import { SaxesParser } from "saxes";
import { type Chunks, type ReportFormat, ReportParseError } from "./parser.types.ts";
import { decodeXmlChunks, stripInvalidXmlChars } from "./xml.decode.ts";

/**
 * One XML event. `depth` is the element's own depth (the root is 1); text carries the depth of the element it is in.
 * CDATA sections arrive as text: to a report they are the same thing.
 */
export type XmlEvent =
  | { kind: "open"; name: string; attributes: Record<string, string>; depth: number; line: number; column: number }
  | { kind: "close"; name: string; depth: number }
  | { kind: "text"; text: string; depth: number };

export interface XmlEventsOptions {
  /** Put on every ReportParseError, so the user learns which format the file failed as. */
  format: ReportFormat | "unknown";
  maxDepth: number;
  /** Problems that did not stop the parse (removed control characters, bad character references). */
  onWarning?: (message: string) => void;
}

/**
 * saxes errors we live with: test output copied into reports carries control characters, raw or as `&#x1b;`. A bad
 * character reference stays as its literal text; raw ones are removed (see XmlPush).
 */
const RECOVERABLE = new Set(["malformed character entity"]);
const DISALLOWED = "disallowed character";
const STRIPPED = "removed control characters that XML does not allow";

function describe(saxesMessage: string, open: readonly string[], lastClosed: string | undefined): string {
  switch (saxesMessage) {
    case "document must contain a root element":
      return "the file has no XML root element (is it empty or not XML?)";
    case "undefined entity":
      return "not well-formed XML: undefined entity (only &lt; &gt; &amp; &quot; &apos; and character references are allowed)";
    case "text data outside of root node":
      return "not well-formed XML: text outside the root element (is this an XML file?)";
    default: {
      const inside = open.at(-1);
      if (saxesMessage.startsWith("unclosed tag") && inside)
        return `unexpected end of file inside <${inside}> (is the file truncated?)`;
      // saxes reports a mismatched closing tag after popping the element it should have closed.
      if (saxesMessage === "unexpected close tag" && lastClosed)
        return `not well-formed XML: <${lastClosed}> is closed by a different closing tag`;
      return `not well-formed XML: ${saxesMessage}`;
    }
  }
}

/** What a push consumer gets from XmlPush, synchronously, while saxes parses a chunk. */
export interface XmlSink {
  /** `depth` is the element's own depth (the root is 1). */
  open(name: string, attributes: Record<string, string>, depth: number): void;
  close(name: string, depth: number): void;
  /** Text (CDATA included) directly or indirectly inside the element at `depth`; only while text is wanted. */
  text(text: string, depth: number): void;
}

/**
 * saxes driven for one document, with the checks every report parser needs: refuses DTDs with an internal subset (the
 * way into XXE and entity expansion bombs), nesting deeper than `maxDepth`, and anything not well-formed; every error
 * carries the line and column saxes had reached. Text can be switched off while the consumer has no use for it (the
 * indentation between elements of a 50 MiB report): saxes then neither slices it out nor calls back.
 */
export class XmlPush {
  private readonly parser = new SaxesParser({ xmlns: false, position: true });
  private readonly open: string[] = [];
  private lastClosed: string | undefined;
  private readonly warned = new Set<string>();
  /**
   * saxes has met a character XML forbids (it says so and keeps going): from then on, what reaches the sink is stripped
   * of them. Checking saxes' own per-character test instead of scanning every chunk beforehand costs nothing on the
   * files (nearly all) that have none.
   */
  private dirty = false;
  private readonly onText = (raw: string) => {
    const text = this.dirty ? this.strip(raw) : raw;
    if (this.open.length > 0 && text.length > 0) this.sink.text(text, this.open.length);
  };
  private textOn = false;

  constructor(
    private readonly options: XmlEventsOptions,
    private readonly sink: XmlSink,
  ) {
    const { parser, open } = this;
    parser.on("doctype", (doctype) => {
      if (doctype.includes("[")) throw this.fail("DTD/entity declarations are not allowed");
    });
    parser.on("opentag", (tag) => {
      if (open.length >= options.maxDepth) throw this.fail(`elements are nested deeper than ${options.maxDepth} levels`);
      open.push(tag.name);
      sink.open(tag.name, this.dirty ? this.stripAll(tag.attributes) : tag.attributes, open.length);
    });
    parser.on("closetag", (tag) => {
      this.lastClosed = tag.name;
      sink.close(tag.name, open.length);
      open.pop();
    });
    parser.on("cdata", (text) => {
      if (this.textOn) this.onText(text);
    });
    parser.on("error", (error) => {
      const message = error.message.replace(/^\d+:\d+: /, "").replace(/\.$/, "");
      if (message === DISALLOWED) {
        this.dirty = true;
        return;
      }
      if (RECOVERABLE.has(message)) {
        this.warn(`line ${parser.line}: ${message}; kept as text`);
        return;
      }
      throw this.fail(describe(message, open, this.lastClosed), error);
    });
    this.wantText(true);
  }

  private strip(text: string): string {
    const stripped = stripInvalidXmlChars(text);
    if (stripped.removed > 0) this.warn(STRIPPED);
    return stripped.text;
  }

  private stripAll(attributes: Record<string, string>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(attributes)) out[name] = this.strip(value);
    return out;
  }

  get line(): number {
    return this.parser.line;
  }

  get column(): number {
    return this.parser.column;
  }

  /** Text events on or off from the next run of text on. */
  wantText(on: boolean): void {
    if (on === this.textOn) return;
    this.textOn = on;
    if (on) this.parser.on("text", this.onText);
    else this.parser.off("text");
  }

  warn(message: string): void {
    if (this.warned.has(message)) return;
    this.warned.add(message);
    this.options.onWarning?.(message);
  }

  fail(message: string, cause?: unknown): ReportParseError {
    return new ReportParseError({
      format: this.options.format,
      message,
      line: this.parser.line,
      column: this.parser.column,
      cause,
    });
  }

  write(text: string): void {
    this.parser.write(text);
  }

  close(): void {
    this.parser.close();
  }
}

/** Feeds a document's chunks (bytes decoded, see xml.decode.ts) to `push`, yielding after each one. */
export async function* pushChunks(source: Chunks, push: XmlPush, format: ReportFormat | "unknown"): AsyncGenerator<void> {
  for await (const text of decodeXmlChunks(source, { format })) {
    push.write(text);
    yield;
  }
  push.close();
}

/**
 * Streams an XML document as batches of events, one batch per input chunk (empty batches are not yielded), so a
 * consumer can act on a chunk's worth of events and hand its records on before the next chunk is read. Checks as XmlPush.
 */
export async function* xmlEvents(source: Chunks, options: XmlEventsOptions): AsyncGenerator<XmlEvent[], void, undefined> {
  let events: XmlEvent[] = [];
  const push: XmlPush = new XmlPush(options, {
    open: (name, attributes, depth) =>
      events.push({ kind: "open", name, attributes, depth, line: push.line, column: push.column }),
    close: (name, depth) => events.push({ kind: "close", name, depth }),
    text: (text, depth) => events.push({ kind: "text", text, depth }),
  });
  for await (const _ of pushChunks(source, push, options.format)) {
    if (events.length > 0) {
      const batch = events;
      events = [];
      yield batch;
    }
  }
  if (events.length > 0) yield events;
}
