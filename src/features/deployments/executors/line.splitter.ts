/** Longest line kept whole; a process printing megabytes without a newline must not grow memory or the log store. */
export const MAX_LINE_CHARS = 64 * 1024;
export const TRUNCATION_MARKER = " […line truncated]";

/**
 * Turns text chunks (already decoded, e.g. a stream with `setEncoding("utf8")`) into lines. Chunks end anywhere, so
 * the partial line carries over; `end()` emits a last line that has no newline. `\r\n` endings lose their `\r`.
 */
export class LineSplitter {
  private pending = "";
  private truncated = false;

  constructor(
    private readonly emit: (line: string) => void,
    private readonly maxChars = MAX_LINE_CHARS,
  ) {}

  push(text: string): void {
    let start = 0;
    for (let newline = text.indexOf("\n"); newline !== -1; newline = text.indexOf("\n", start)) {
      this.append(text.slice(start, newline));
      this.emitPending();
      start = newline + 1;
    }
    this.append(text.slice(start));
  }

  end(): void {
    if (this.pending !== "" || this.truncated) this.emitPending();
  }

  private append(part: string): void {
    if (this.truncated) return;
    const room = this.maxChars - this.pending.length;
    if (part.length <= room) {
      this.pending += part;
      return;
    }
    this.pending += part.slice(0, room);
    this.truncated = true;
  }

  private emitPending(): void {
    const line = this.truncated ? `${this.pending}${TRUNCATION_MARKER}` : this.pending.replace(/\r$/, "");
    this.pending = "";
    this.truncated = false;
    this.emit(line);
  }
}
