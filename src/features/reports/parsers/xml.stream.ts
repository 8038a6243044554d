import { SaxesParser } from "saxes";
import { type Chunks, type ReportFormat, ReportParseError } from "./parser.types.ts";
import { decodeXmlChunks } from "./xml.decode.ts";

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
 * saxes errors we live with: test output copied into reports carries control characters, raw or as `&#x1b;`. The raw
 * ones are removed before saxes sees them (xml.decode.ts); a bad character reference stays as its literal text.
 */
const RECOVERABLE = new Set(["malformed character entity", "disallowed character"]);

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

/**
 * Streams an XML document as batches of events, one batch per input chunk (empty batches are not yielded), so a
 * consumer can act on a chunk's worth of events and hand its records on before the next chunk is read.
 * Refuses DTDs with an internal subset (the way into XXE and entity expansion bombs), nesting deeper than
 * `maxDepth`, and anything not well-formed; every error carries the line and column saxes had reached.
 */
export async function* xmlEvents(source: Chunks, options: XmlEventsOptions): AsyncGenerator<XmlEvent[], void, undefined> {
  const { format, maxDepth } = options;
  const parser = new SaxesParser({ xmlns: false, position: true });
  const open: string[] = [];
  let events: XmlEvent[] = [];
  const fail = (message: string, cause?: unknown) =>
    new ReportParseError({ format, message, line: parser.line, column: parser.column, cause });
  const warned = new Set<string>();
  const warn = (message: string) => {
    if (warned.has(message)) return;
    warned.add(message);
    options.onWarning?.(message);
  };

  parser.on("doctype", (doctype) => {
    if (doctype.includes("[")) throw fail("DTD/entity declarations are not allowed");
  });
  parser.on("opentag", (tag) => {
    if (open.length >= maxDepth) throw fail(`elements are nested deeper than ${maxDepth} levels`);
    open.push(tag.name);
    events.push({
      kind: "open",
      name: tag.name,
      attributes: tag.attributes,
      depth: open.length,
      line: parser.line,
      column: parser.column,
    });
  });
  let lastClosed: string | undefined;
  parser.on("closetag", (tag) => {
    lastClosed = tag.name;
    events.push({ kind: "close", name: tag.name, depth: open.length });
    open.pop();
  });
  const onText = (text: string) => {
    if (open.length > 0 && text.length > 0) events.push({ kind: "text", text, depth: open.length });
  };
  parser.on("text", onText);
  parser.on("cdata", onText);
  parser.on("error", (error) => {
    const message = error.message.replace(/^\d+:\d+: /, "").replace(/\.$/, "");
    if (RECOVERABLE.has(message)) {
      warn(`line ${parser.line}: ${message}; kept as text`);
      return;
    }
    throw fail(describe(message, open, lastClosed), error);
  });

  const onStripped = () => warn("removed control characters that XML does not allow");
  for await (const text of decodeXmlChunks(source, { format, onStripped })) {
    parser.write(text);
    if (events.length > 0) {
      const batch = events;
      events = [];
      yield batch;
    }
  }
  parser.close();
  if (events.length > 0) yield events;
}
