import type { Codec } from "../spark.types.ts";
import { notAnEventLog } from "./errors.ts";
import { LZ4_MAGIC } from "./lz4-stream.ts";
import { SNAPPY_MAGIC } from "./snappy-stream.ts";

const startsWith = (head: Uint8Array, magic: ArrayLike<number>): boolean =>
  head.length >= magic.length && Array.prototype.every.call(magic, (byte: number, i: number) => head[i] === byte);

const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];
const GZIP_MAGIC = [0x1f, 0x8b];

/** Spark names parts `…​.<codec short name>` (spark.io.compression.codec): lz4, lzf, snappy, zstd. */
export function codecFromName(name: string): Codec | "lzf" | null {
  const match = /\.(zstd|zst|lz4|snappy|gz|gzip|lzf)(\.inprogress)?$/i.exec(name);
  switch (match?.[1]?.toLowerCase()) {
    case "zstd":
    case "zst":
      return "zstd";
    case "lz4":
      return "lz4";
    case "snappy":
      return "snappy";
    case "gz":
    case "gzip":
      return "gzip";
    case "lzf":
      return "lzf";
    default:
      return null;
  }
}

/**
 * The codec, by magic bytes first (they do not lie; names do, after renames), by name when the head says nothing.
 * Throws a 422 saying what the bytes look like when it is no event log at all.
 */
export function detectCodec(head: Uint8Array, name = ""): Codec {
  if (startsWith(head, ZSTD_MAGIC)) return "zstd";
  if (startsWith(head, GZIP_MAGIC)) return "gzip";
  if (startsWith(head, LZ4_MAGIC)) return "lz4";
  if (startsWith(head, SNAPPY_MAGIC)) return "snappy";
  const byName = codecFromName(name);
  if (byName === "lzf")
    throw notAnEventLog(
      "an LZF-compressed file",
      "LZF event logs are not supported yet; set spark.eventLog.compression.codec to zstd.",
    );
  const text = firstText(head);
  if (text.startsWith("{")) return "none";
  if (head.length === 0) throw notAnEventLog("an empty file");
  throw notAnEventLog(describe(head, text));
}

function firstText(head: Uint8Array): string {
  let text = new TextDecoder("utf-8", { fatal: false }).decode(head.subarray(0, 512));
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return text.trimStart();
}

/** A short description of unknown bytes, for the 422 message. */
export function describe(head: Uint8Array, text = firstText(head)): string {
  if (startsWith(head, [0x25, 0x50, 0x44, 0x46])) return "a PDF document";
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47])) return "a PNG image";
  if (startsWith(head, [0xff, 0xd8, 0xff])) return "a JPEG image";
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04])) return "a ZIP archive (unzip it and upload the event log inside)";
  if (startsWith(head, [0x42, 0x5a, 0x68])) return "a bzip2-compressed file";
  if (startsWith(head, [0xfd, 0x37, 0x7a, 0x58, 0x5a])) return "an xz-compressed file";
  if (startsWith(head, [0x04, 0x22, 0x4d, 0x18])) return "an LZ4 frame file (lz4 command line), not Spark's LZ4Block framing";
  if (startsWith(head, [0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59]))
    return "framed snappy (x-snappy-framed), not snappy-java's stream";
  if (startsWith(head, [0x5a, 0x56])) return "an LZF-compressed file";
  if (startsWith(head, [0x50, 0x41, 0x52, 0x31])) return "a Parquet file";
  if (/^<\?xml/i.test(text)) return "an XML document";
  if (/^<(!doctype html|html)/i.test(text)) return "an HTML page";
  if (text.startsWith("[")) return "a JSON array (event logs have one JSON object per line)";
  const printable = [...head.subarray(0, 256)].filter((b) => b === 9 || b === 10 || b === 13 || (b >= 32 && b < 127)).length;
  if (printable >= Math.min(head.length, 256) * 0.9)
    return `plain text starting with "${text.slice(0, 40).replace(/\s+/g, " ")}"`;
  return `binary data (first bytes ${[...head.subarray(0, 8)].map((b) => b.toString(16).padStart(2, "0")).join(" ")})`;
}
