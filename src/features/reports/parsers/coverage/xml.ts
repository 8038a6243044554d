import { SaxesParser, type SaxesTagPlain } from "saxes";
import { type Chunks, ReportParseError } from "../parser.types.ts";
import { decodeChunks } from "./text.ts";

export type XmlFormat = "cobertura" | "jacoco";

export interface XmlHandlers {
  open(tag: SaxesTagPlain): void;
  close(name: string): void;
  /** Character data between tags, entities decoded; only needed by elements that carry text. */
  text?(text: string): void;
}

export interface XmlReader {
  /** An error at the parser's current position; throw it from a handler. */
  error(message: string): ReportParseError;
  /** Runs the parser over the source, yielding whatever the handlers pushed into `done` after each chunk. */
  run<T>(source: Chunks, done: T[]): AsyncGenerator<T[]>;
}

const LABEL: Record<XmlFormat, string> = { cobertura: "Cobertura", jacoco: "JaCoCo" };

/**
 * saxes with the checks every coverage XML needs: the expected root element, a depth cap, and no internal DTD subset.
 * saxes never reads a DTD, so an external DOCTYPE (coverage-04.dtd, report.dtd) is harmless and allowed; an internal
 * subset is refused outright because its ENTITY declarations are how entity-expansion attacks start, and no coverage
 * tool writes one.
 */
export function createXmlReader(options: {
  format: XmlFormat;
  root: string;
  maxDepth: number;
  handlers: XmlHandlers;
}): XmlReader {
  const { format, root, maxDepth, handlers } = options;
  const parser = new SaxesParser({ xmlns: false, position: true });
  let depth = 0;
  const error = (message: string) =>
    new ReportParseError({
      format,
      line: parser.line,
      column: parser.column + 1,
      message: `${LABEL[format]} XML at line ${parser.line}, column ${parser.column + 1}: ${message}`,
    });

  parser.on("error", (cause) => {
    throw error(cause.message.replace(/^\d+:\d+: /, ""));
  });
  parser.on("doctype", (text) => {
    if (hasInternalSubset(text)) {
      throw error("the DOCTYPE has an internal subset ([...]); entity declarations are refused. Remove the [...] part");
    }
  });
  parser.on("opentag", (tag) => {
    depth++;
    if (depth > maxDepth) throw error(`elements are nested deeper than ${maxDepth} levels`);
    if (depth === 1 && tag.name !== root)
      throw error(`the root element is <${tag.name}>, expected <${root}>: this is not a ${LABEL[format]} report`);
    handlers.open(tag);
  });
  parser.on("closetag", (tag) => {
    depth--;
    handlers.close(tag.name);
  });
  const { text } = handlers;
  if (text) parser.on("text", text);

  async function* run<T>(source: Chunks, done: T[]): AsyncGenerator<T[]> {
    for await (const text of decodeChunks(source)) {
      parser.write(text);
      if (done.length > 0) yield done.splice(0);
    }
    parser.close();
    if (done.length > 0) yield done.splice(0);
  }

  return { error, run };
}

/** True when a `[` appears outside the quoted public/system literals of the DOCTYPE text. */
function hasInternalSubset(doctype: string): boolean {
  let quote: string | null = null;
  for (const char of doctype) {
    if (quote !== null) {
      if (char === quote) quote = null;
    } else if (char === '"' || char === "'") {
      quote = char;
    } else if (char === "[") {
      return true;
    }
  }
  return false;
}
