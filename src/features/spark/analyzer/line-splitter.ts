import { StringDecoder } from "node:string_decoder";

/**
 * Splits a byte stream into lines (UTF-8, `\n` or `\r\n`), calling `onLine` for each. Push-based so the analyzer costs
 * no promise per line. A line that never ends (no newline for `maxChars`) is handed over cut, marked `oversized`.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder("utf8");
  private pending = "";

  constructor(
    private readonly onLine: (line: string, last: boolean) => void,
    private readonly maxChars = 64 * 1024 * 1024,
  ) {}

  push(chunk: Uint8Array): void {
    const text = this.decoder.write(chunk as Buffer);
    if (text.length === 0) return;
    if (text.indexOf("\n") === -1) {
      // Inside a long line: append (a cheap rope) instead of splitting, which would flatten it on every chunk.
      this.pending += text;
      this.handOverRunaway();
      return;
    }
    // One native split per chunk is much cheaper than indexOf + slice per line.
    const lines = (this.pending.length > 0 ? this.pending + text : text).split("\n");
    this.pending = lines.pop() ?? "";
    for (const line of lines)
      this.onLine(line.length > 0 && line.charCodeAt(line.length - 1) === 13 ? line.slice(0, -1) : line, false);
    this.handOverRunaway();
  }

  private handOverRunaway(): void {
    if (this.pending.length > this.maxChars) {
      // Hand the runaway line over (the analyzer refuses it as malformed) rather than buffering it forever.
      this.onLine(this.pending, false);
      this.pending = "";
    }
  }

  /** Flushes the last line, if the stream did not end with a newline. Returns whether there was one. */
  end(): boolean {
    const rest = this.pending + this.decoder.end();
    this.pending = "";
    if (rest.length === 0) return false;
    this.onLine(rest.endsWith("\r") ? rest.slice(0, -1) : rest, true);
    return true;
  }
}
