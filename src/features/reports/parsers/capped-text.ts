/** Accumulates text up to a cap and counts what it drops, so a 2 GB system-out costs no more than the cap. */
export class CappedText {
  private readonly parts: string[] = [];
  private length = 0;
  private dropped = 0;

  constructor(private readonly cap: number) {}

  append(text: string): void {
    const room = this.cap - this.length;
    if (room >= text.length) {
      this.parts.push(text);
      this.length += text.length;
      return;
    }
    if (room > 0) {
      // Do not cut a surrogate pair in half.
      const end = isHighSurrogate(text.charCodeAt(room - 1)) ? room - 1 : room;
      this.parts.push(text.slice(0, end));
      this.length += end;
      this.dropped += text.length - end;
      // Whatever room is left after backing off a surrogate is closed: later text must not land after a gap.
      this.length = this.cap;
      return;
    }
    this.dropped += text.length;
  }

  /** Leading blank lines and trailing whitespace removed (XML indentation), a marker when cut; null when empty. */
  value(): string | null {
    if (this.parts.length === 0 && this.dropped === 0) return null;
    const text = this.parts
      .join("")
      .replace(/^(?:[ \t]*\r?\n)+/, "")
      .trimEnd();
    if (this.dropped > 0) return `${text}… [truncated ${this.dropped} chars]`;
    return text.length > 0 ? text : null;
  }
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** A single string capped the same way. */
export function capText(text: string, cap: number): string | null {
  const capped = new CappedText(cap);
  capped.append(text);
  return capped.value();
}
