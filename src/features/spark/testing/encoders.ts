/**
 * Test-only writers of Spark's lz4 and snappy framings, used to compress the real fixtures and check that decoding gives
 * the original back. Not used by the product: Spark writes these files, we only read them.
 */
import { compress as snappyCompress } from "snappyjs";
import {
  LZ4_HEADER_LENGTH,
  LZ4_LEVEL_BASE,
  LZ4_MAGIC,
  LZ4_METHOD_LZ4,
  LZ4_METHOD_RAW,
  lz4Checksum,
  xxhash32,
} from "../codecs/lz4-stream.ts";
import { SNAPPY_MAGIC } from "../codecs/snappy-stream.ts";

/** Greedy LZ4 block compressor (hash of 4 bytes → last position), valid per the block format's end-of-block rules. */
export function encodeLz4Block(src: Uint8Array): Uint8Array {
  const out: number[] = [];
  const table = new Map<number, number>();
  const n = src.length;
  const matchLimit = n - 12; // the last match must start ≥ 12 bytes before the end
  const lastLiterals = n - 5; // the last 5 bytes are always literals
  let anchor = 0;
  let i = 0;
  const read32 = (at: number): number =>
    ((src[at] ?? 0) | ((src[at + 1] ?? 0) << 8) | ((src[at + 2] ?? 0) << 16) | ((src[at + 3] ?? 0) << 24)) >>> 0;
  const writeLength = (length: number): void => {
    let rest = length - 15;
    while (rest >= 255) {
      out.push(255);
      rest -= 255;
    }
    out.push(rest);
  };
  while (i < matchLimit) {
    const key = read32(i);
    const candidate = table.get(key);
    table.set(key, i);
    if (candidate === undefined || i - candidate > 65535 || read32(candidate) !== key) {
      i++;
      continue;
    }
    let length = 4;
    while (i + length < lastLiterals && src[candidate + length] === src[i + length]) length++;
    const literals = i - anchor;
    const matchCode = length - 4;
    out.push((Math.min(literals, 15) << 4) | Math.min(matchCode, 15));
    if (literals >= 15) writeLength(literals);
    for (let k = anchor; k < i; k++) out.push(src[k] ?? 0);
    const offset = i - candidate;
    out.push(offset & 0xff, offset >> 8);
    if (matchCode >= 15) writeLength(matchCode);
    i += length;
    anchor = i;
  }
  const literals = n - anchor;
  out.push(Math.min(literals, 15) << 4);
  if (literals >= 15) writeLength(literals);
  for (let k = anchor; k < n; k++) out.push(src[k] ?? 0);
  return Uint8Array.from(out);
}

function intLE(value: number): number[] {
  return [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff];
}

function intBE(value: number): number[] {
  return [(value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff];
}

export interface Block {
  /** Offset of the block in the original. */
  from: number;
  to: number;
}

/**
 * Blocks as the Java streams cut them: a block is written when the buffer holds `blockSize` bytes or on flush (Spark
 * flushes after events it wants durable), so the grid restarts at every flush point.
 */
export function blocksOf(length: number, blockSize: number, flushes: number[] = []): Block[] {
  const cuts = new Set<number>([0, length]);
  for (const at of flushes) if (at > 0 && at < length) cuts.add(at);
  const sorted = [...cuts].sort((a, b) => a - b);
  const blocks: Block[] = [];
  for (let k = 1; k < sorted.length; k++) blocks.push({ from: sorted[k - 1] ?? 0, to: sorted[k] ?? 0 });
  return blocks.flatMap((b) => {
    const parts: Block[] = [];
    for (let at = b.from; at < b.to; at += blockSize) parts.push({ from: at, to: Math.min(b.to, at + blockSize) });
    return parts;
  });
}

/** lz4-java LZ4BlockOutputStream output for `data` cut into `blocks`, with the end-of-stream block when `close`. */
export async function encodeLz4Stream(
  data: Uint8Array,
  options: { blockSize?: number; flushes?: number[]; close?: boolean } = {},
): Promise<Uint8Array> {
  const blockSize = options.blockSize ?? 32 * 1024;
  const level = Math.max(0, 32 - Math.clz32(blockSize - 1) - LZ4_LEVEL_BASE);
  const { h32Raw } = await xxhash32();
  const out: number[][] = [];
  for (const { from, to } of blocksOf(data.length, blockSize, options.flushes)) {
    const block = data.subarray(from, to);
    const packed = encodeLz4Block(block);
    const raw = packed.length >= block.length;
    const body = raw ? block : packed;
    out.push([
      ...LZ4_MAGIC,
      (raw ? LZ4_METHOD_RAW : LZ4_METHOD_LZ4) | level,
      ...intLE(body.length),
      ...intLE(block.length),
      ...intLE(lz4Checksum(h32Raw, block)),
    ]);
    out.push([...body]);
  }
  if (options.close !== false) out.push([...LZ4_MAGIC, LZ4_METHOD_RAW | level, ...intLE(0), ...intLE(0), ...intLE(0)]);
  return Uint8Array.from(out.flat());
}

export const LZ4_BLOCK_HEADER = LZ4_HEADER_LENGTH;

/** snappy-java SnappyOutputStream output: header, then length-prefixed raw snappy blocks. */
export function encodeSnappyStream(data: Uint8Array, options: { blockSize?: number; flushes?: number[] } = {}): Uint8Array {
  const out: number[][] = [[...SNAPPY_MAGIC, ...intBE(1), ...intBE(1)]];
  for (const { from, to } of blocksOf(data.length, options.blockSize ?? 32 * 1024, options.flushes)) {
    const packed = snappyCompress(data.slice(from, to));
    out.push([...intBE(packed.length), ...packed]);
  }
  return Uint8Array.from(out.flat());
}

/** Every block of an lz4-java stream as written: header fields and the compressed bytes. */
export function* lz4Blocks(
  stream: Uint8Array,
): Generator<{ at: number; token: number; compressed: number; original: number; checksum: number }> {
  let at = 0;
  const view = new DataView(stream.buffer, stream.byteOffset, stream.byteLength);
  while (at + LZ4_HEADER_LENGTH <= stream.length) {
    const compressed = view.getInt32(at + 9, true);
    yield {
      at,
      token: stream[at + 8] ?? 0,
      compressed,
      original: view.getInt32(at + 13, true),
      checksum: view.getInt32(at + 17, true),
    };
    at += LZ4_HEADER_LENGTH + compressed;
  }
}
