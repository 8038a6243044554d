import { StringDecoder } from "node:string_decoder";
import { TextDecoder } from "node:util";
import { type Chunks, type ReportFormat, ReportParseError } from "./parser.types.ts";

/** Bytes looked at to find the encoding: a BOM or the `<?xml … encoding="…"?>` declaration lives at the very start. */
const SNIFF_BYTES = 1024;

/**
 * Characters XML 1.0 forbids in a document (C0 controls except tab/LF/CR, U+FFFE, U+FFFF). Test tools copy raw test
 * output into reports, ANSI colour escapes included. saxes reports each as an error; XmlPush carries on and strips them
 * from what it hands on, rather than refusing the whole file for one of them.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const INVALID_XML_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

export interface DecodeOptions {
  format: ReportFormat | "unknown";
}

function concat(parts: Uint8Array[]): Uint8Array {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * The encoding label of a document from its first bytes: a BOM wins, then UTF-16 without a BOM (`<?` as two-byte
 * units), then the declaration's `encoding`, else UTF-8 (XML 1.0 §4.3.3 and Appendix F).
 */
export function sniffEncoding(head: Uint8Array): string {
  const [b0, b1, b2, b3] = head;
  if (b0 === 0xef && b1 === 0xbb && b2 === 0xbf) return "utf-8";
  if (b0 === 0xfe && b1 === 0xff) return "utf-16be";
  if (b0 === 0xff && b1 === 0xfe) return "utf-16le";
  if (b0 === 0x00 && b1 === 0x3c && b2 === 0x00 && b3 === 0x3f) return "utf-16be";
  if (b0 === 0x3c && b1 === 0x00 && b2 === 0x3f && b3 === 0x00) return "utf-16le";
  const ascii = Buffer.from(head.buffer, head.byteOffset, head.byteLength).toString("latin1");
  const declared = /^\s*<\?xml\s[^>]*?\bencoding\s*=\s*["']([A-Za-z][A-Za-z0-9._-]*)["']/.exec(ascii)?.[1]?.toLowerCase();
  // A declaration read as ASCII cannot be honestly UTF-16/32: those bytes would have shown above.
  if (!declared || /^(utf-?16|utf-?32|ucs-?2|ucs-?4)/.test(declared)) return "utf-8";
  return declared;
}

/** Bytes to text across chunk boundaries: `decode` holds back an incomplete character, `end` gives what is left. */
interface ChunkDecoder {
  decode(bytes: Uint8Array): string;
  end(): string;
}

/**
 * UTF-8 (nearly every report) through string_decoder, which streams natively; TextDecoder's streaming mode cost
 * ~60 ms per 50 MiB more. Both replace malformed bytes with U+FFFD. A BOM is dropped by decodeXmlChunks.
 */
function decoderFor(label: string, format: ReportFormat | "unknown"): ChunkDecoder {
  if (label === "utf-8" || label === "utf8") {
    const utf8 = new StringDecoder("utf8");
    return { decode: (bytes) => utf8.write(bytes), end: () => utf8.end() };
  }
  try {
    const decoder = new TextDecoder(label);
    return { decode: (bytes) => decoder.decode(bytes, { stream: true }), end: () => decoder.decode() };
  } catch (cause) {
    throw new ReportParseError({
      format,
      message: `unsupported encoding "${label}" in the XML declaration; re-encode the file as UTF-8`,
      line: 1,
      column: 1,
      cause,
    });
  }
}

/** `text` without the characters XML forbids, and how many there were. */
export function stripInvalidXmlChars(text: string): { text: string; removed: number } {
  let removed = 0;
  const out = text.replace(INVALID_XML_CHARS, () => {
    removed += 1;
    return "";
  });
  return { text: out, removed };
}

/** Bytes to text for one document: holds the first SNIFF_BYTES back until the encoding is known. */
class StreamDecoder {
  private decoder: ChunkDecoder | undefined;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;

  constructor(private readonly format: ReportFormat | "unknown") {}

  push(bytes: Uint8Array): string {
    if (this.decoder) return this.decoder.decode(bytes);
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
    return this.pendingBytes >= SNIFF_BYTES ? this.start() : "";
  }

  /** Everything held back (at the end of the input, or before a string chunk); the encoding stays as found. */
  flush(): string {
    const held = this.decoder || this.pendingBytes === 0 ? "" : this.start();
    return held + (this.decoder?.end() ?? "");
  }

  private start(): string {
    const head = concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    this.decoder = decoderFor(sniffEncoding(head), this.format);
    return this.decoder.decode(head);
  }
}

/**
 * Streams bytes into text: finds the encoding from the first bytes, then decodes chunk by chunk with a streaming
 * decoder, so multi-byte characters split across chunks come out whole; a leading BOM (U+FEFF) is dropped, from bytes
 * and strings alike. Characters XML forbids pass through: saxes flags them and XmlPush strips them from what it hands
 * on (a regex scan of every chunk here cost ~15% of a bare saxes parse, for files that almost never have any).
 */
export async function* decodeXmlChunks(source: Chunks, options: DecodeOptions): AsyncGenerator<string, void, undefined> {
  const decoder = new StreamDecoder(options.format);
  let first = true;
  for await (const chunk of source) {
    let text = typeof chunk === "string" ? decoder.flush() + chunk : decoder.push(chunk);
    if (!text) continue;
    if (first && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    first = false;
    if (text) yield text;
  }
  const rest = decoder.flush();
  if (rest) yield first && rest.charCodeAt(0) === 0xfeff ? rest.slice(1) : rest;
}
