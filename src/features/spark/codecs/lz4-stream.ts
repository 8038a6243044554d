import xxhash from "xxhash-wasm";
import { ByteReader, readIntLE } from "./byte-reader.ts";
import { CorruptStreamError, TruncatedStreamError } from "./errors.ts";
import { decodeLz4Block } from "./lz4-block.ts";

/**
 * lz4-java's LZ4BlockOutputStream framing, which Spark's LZ4CompressionCodec writes (net.jpountz.lz4, v1.8):
 * per block a 21-byte header — "LZ4Block" magic, a token (method 0x10 raw / 0x20 lz4, OR-ed with the compression level
 * = log2(block size) − 10), compressed length, original length and checksum as little-endian ints — then the block.
 * The checksum is xxhash32 (seed 0x9747b28c) of the original bytes, masked to 28 bits. A block with both lengths 0
 * ends a stream; Spark reads on after it (concatenated streams), so do we.
 */
export const LZ4_MAGIC = new TextEncoder().encode("LZ4Block");
export const LZ4_HEADER_LENGTH = LZ4_MAGIC.length + 1 + 4 + 4 + 4;
export const LZ4_METHOD_RAW = 0x10;
export const LZ4_METHOD_LZ4 = 0x20;
export const LZ4_LEVEL_BASE = 10;
export const LZ4_SEED = 0x9747b28c;

let hasher: Promise<Awaited<ReturnType<typeof xxhash>>> | undefined;
/** xxhash-wasm instantiates its WebAssembly module once, asynchronously. */
export function xxhash32(): Promise<Awaited<ReturnType<typeof xxhash>>> {
  hasher ??= xxhash();
  return hasher;
}

export function lz4Checksum(h32Raw: (input: Uint8Array, seed?: number) => number, data: Uint8Array): number {
  return (h32Raw(data, LZ4_SEED) & 0x0fffffff) >>> 0;
}

export interface StreamEnd {
  /** Whether the stream ended cleanly (end marker seen), false when it just stopped between blocks. */
  endMarker: boolean;
}

export async function* decodeLz4Stream(source: AsyncIterable<Uint8Array>, status?: StreamEnd): AsyncGenerator<Uint8Array> {
  const { h32Raw } = await xxhash32();
  const reader = new ByteReader(source);
  try {
    for (;;) {
      const blockAt = reader.offset;
      const header = await reader.read(LZ4_HEADER_LENGTH);
      if (header.length === 0) return;
      if (header.length < LZ4_HEADER_LENGTH) throw new TruncatedStreamError("lz4", blockAt, "ends inside a block header");
      for (let i = 0; i < LZ4_MAGIC.length; i++) {
        if (header[i] !== LZ4_MAGIC[i])
          throw new CorruptStreamError("lz4", blockAt, "block does not start with the LZ4Block magic");
      }
      const token = header[8] as number;
      const method = token & 0xf0;
      const level = LZ4_LEVEL_BASE + (token & 0x0f);
      const compressed = readIntLE(header, 9) | 0;
      const original = readIntLE(header, 13) | 0;
      const check = readIntLE(header, 17) | 0;
      if (
        (method !== LZ4_METHOD_RAW && method !== LZ4_METHOD_LZ4) ||
        original > 2 ** level ||
        original < 0 ||
        compressed < 0 ||
        (original === 0) !== (compressed === 0) ||
        (method === LZ4_METHOD_RAW && original !== compressed)
      ) {
        throw new CorruptStreamError(
          "lz4",
          blockAt,
          `invalid block header (token 0x${token.toString(16)}, ${compressed} → ${original} bytes)`,
        );
      }
      if (original === 0) {
        if (check !== 0) throw new CorruptStreamError("lz4", blockAt, "end-of-stream block has a non-zero checksum");
        if (status) status.endMarker = true;
        continue;
      }
      if (status) status.endMarker = false;
      const body = await reader.read(compressed);
      if (body.length < compressed) throw new TruncatedStreamError("lz4", blockAt);
      let out: Uint8Array;
      if (method === LZ4_METHOD_RAW) out = body.slice();
      else {
        out = new Uint8Array(original);
        let written: number;
        try {
          written = decodeLz4Block(body, out);
        } catch (error) {
          throw new CorruptStreamError("lz4", blockAt, (error as Error).message, { cause: error });
        }
        if (written !== original)
          throw new CorruptStreamError("lz4", blockAt, `block decodes to ${written} bytes, header says ${original}`);
      }
      if (((lz4Checksum(h32Raw, out) ^ check) & 0x0fffffff) !== 0) {
        throw new CorruptStreamError("lz4", blockAt, "block checksum (xxhash32) does not match");
      }
      yield out;
    }
  } finally {
    await reader.close();
  }
}
