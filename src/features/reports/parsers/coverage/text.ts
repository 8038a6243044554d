import { type Chunks, type ReportFormat, ReportParseError } from "../parser.types.ts";

/**
 * The chunks as UTF-8 text. A character split across chunks is joined (the decoder streams), a leading byte order mark
 * is dropped, and invalid bytes become U+FFFD rather than an error: the format parser then says what is wrong and where.
 */
export async function* decodeChunks(source: Chunks): AsyncGenerator<string> {
  const decoder = new TextDecoder("utf-8");
  let started = false;
  for await (const chunk of source) {
    let text = typeof chunk === "string" ? decoder.decode() + chunk : decoder.decode(chunk, { stream: true });
    if (!started && text.length > 0) {
      started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (text.length > 0) yield text;
  }
  const rest = decoder.decode();
  if (rest.length > 0) yield rest;
}

/**
 * Complete lines of the text, a batch per chunk, without their `\n` or `\r\n`. Only the unfinished last line is held
 * between chunks, and it may not grow beyond `maxLineLength`.
 */
export async function* readLines(
  source: Chunks,
  options: { format: ReportFormat; maxLineLength: number },
): AsyncGenerator<string[]> {
  let partial: string[] = [];
  let partialLength = 0;
  let lineNumber = 1;
  const tooLong = () =>
    new ReportParseError({
      format: options.format,
      line: lineNumber,
      message: `line ${lineNumber} is longer than ${options.maxLineLength} characters; this does not look like a ${options.format} file`,
    });
  for await (const text of decodeChunks(source)) {
    const pieces = text.split("\n");
    const last = pieces.pop() ?? "";
    const lines: string[] = [];
    for (const piece of pieces) {
      if (partialLength + piece.length > options.maxLineLength) throw tooLong();
      if (partial.length === 0) lines.push(stripCr(piece));
      else {
        partial.push(piece);
        lines.push(stripCr(partial.join("")));
        partial = [];
      }
      partialLength = 0;
      lineNumber++;
    }
    if (last.length > 0) partial.push(last);
    partialLength += last.length;
    if (partialLength > options.maxLineLength) throw tooLong();
    if (lines.length > 0) yield lines;
  }
  const tail = stripCr(partial.join(""));
  if (tail.length > 0) yield [tail];
}

function stripCr(line: string): string {
  return line.endsWith("\r") ? line.slice(0, -1) : line;
}
