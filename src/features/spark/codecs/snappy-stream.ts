import { uncompress } from "snappyjs";
import { ByteReader, readIntBE } from "./byte-reader.ts";
import { CorruptStreamError, TruncatedStreamError } from "./errors.ts";

/**
 * snappy-java's SnappyOutputStream framing, which Spark's SnappyCompressionCodec writes (org.xerial.snappy, 1.1.x):
 * a 16-byte header — magic 0x82 "SNAPPY" 0x00, then version and minimum compatible version as big-endian ints (1, 1) —
 * then blocks, each a big-endian int length followed by that many bytes of raw snappy. A header may appear again
 * where a block length is expected (streams concatenated); SnappyInputStream skips it, so do we.
 * (Not the x-snappy-framed format with "sNaPpY" chunks: that is SnappyFramedOutputStream, which Spark does not use.)
 */
export const SNAPPY_MAGIC = Uint8Array.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
export const SNAPPY_HEADER_LENGTH = 16;
/** The first four magic bytes as a big-endian int: what a block length reads as when a header follows. */
const MAGIC_HEAD = readIntBE(SNAPPY_MAGIC, 0);
/** snappy-java blocks are 32 KiB by default; refuse blocks that claim much more (a bomb or garbage). */
export const SNAPPY_MAX_BLOCK = 64 * 1024 * 1024;

function isMagic(bytes: Uint8Array): boolean {
  return SNAPPY_MAGIC.every((byte, i) => bytes[i] === byte);
}

export async function* decodeSnappyStream(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = new ByteReader(source);
  try {
    const header = await reader.read(SNAPPY_HEADER_LENGTH);
    if (header.length < SNAPPY_HEADER_LENGTH) throw new TruncatedStreamError("snappy", 0, "ends inside the stream header");
    if (!isMagic(header)) throw new CorruptStreamError("snappy", 0, "does not start with the snappy-java magic header");
    for (;;) {
      const blockAt = reader.offset;
      const lengthBytes = await reader.read(4);
      if (lengthBytes.length === 0) return;
      if (lengthBytes.length < 4) throw new TruncatedStreamError("snappy", blockAt, "ends inside a block length");
      const length = readIntBE(lengthBytes, 0);
      if (length === MAGIC_HEAD) {
        const rest = await reader.read(SNAPPY_HEADER_LENGTH - 4);
        if (rest.length < SNAPPY_HEADER_LENGTH - 4)
          throw new TruncatedStreamError("snappy", blockAt, "ends inside a stream header");
        continue;
      }
      if (length === 0 || length > SNAPPY_MAX_BLOCK)
        throw new CorruptStreamError("snappy", blockAt, `implausible block length ${length}`);
      const body = await reader.read(length);
      if (body.length < length) throw new TruncatedStreamError("snappy", blockAt);
      try {
        yield uncompress(body.slice(), SNAPPY_MAX_BLOCK);
      } catch (error) {
        if (error instanceof CorruptStreamError) throw error;
        throw new CorruptStreamError("snappy", blockAt, (error as Error).message, { cause: error });
      }
    }
  } finally {
    await reader.close();
  }
}
