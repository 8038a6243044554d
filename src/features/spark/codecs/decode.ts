import { peekHead } from "../../../shared/peek.ts";
import type { Codec } from "../spark.types.ts";
import { detectCodec } from "./detect.ts";
import { decompressionLimit } from "./errors.ts";
import { decodeGzipStream } from "./gzip-stream.ts";
import { decodeLz4Stream, type StreamEnd } from "./lz4-stream.ts";
import { decodeSnappyStream } from "./snappy-stream.ts";
import { decodeZstdStream } from "./zstd-stream.ts";

export interface DecodeLimits {
  /** Decompressed bytes accepted, over all parts. */
  maxDecompressedBytes: number;
  /** Decompressed / compressed, checked once `ratioAfterBytes` have come out (a bomb shows itself early). */
  maxRatio: number;
  ratioAfterBytes: number;
}

export const DEFAULT_DECODE_LIMITS: DecodeLimits = {
  maxDecompressedBytes: 8 * 1024 ** 3,
  // Event logs compress well (the 1 MB → 37 MB fixture is 43:1); bombs are thousands to one.
  maxRatio: 200,
  ratioAfterBytes: 64 * 1024 * 1024,
};

/** Running byte counts, shared across the parts of a rolling log so the caps apply to the whole upload. */
export interface ByteCounts {
  compressed: number;
  decompressed: number;
}

export interface Decoded {
  codec: Codec;
  bytes: AsyncIterable<Uint8Array>;
  end: StreamEnd;
}

async function* countCompressed(source: AsyncIterable<Uint8Array>, counts: ByteCounts): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    counts.compressed += chunk.length;
    yield chunk;
  }
}

async function* capped(
  source: AsyncIterable<Uint8Array>,
  counts: ByteCounts,
  limits: DecodeLimits,
  codec: Codec,
): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    counts.decompressed += chunk.length;
    if (counts.decompressed > limits.maxDecompressedBytes) {
      throw decompressionLimit(`The event log is larger than ${limits.maxDecompressedBytes} bytes decompressed; refusing it.`, {
        limit: limits.maxDecompressedBytes,
        codec,
      });
    }
    if (
      codec !== "none" &&
      counts.decompressed > limits.ratioAfterBytes &&
      counts.decompressed / Math.max(1, counts.compressed) > limits.maxRatio
    ) {
      throw decompressionLimit(
        `The event log expands more than ${limits.maxRatio}:1 when decompressed; refusing it as a decompression bomb.`,
        { maxRatio: limits.maxRatio, compressed: counts.compressed, decompressed: counts.decompressed, codec },
      );
    }
    yield chunk;
  }
}

/** Detects the codec (magic bytes, then name) and returns the decompressed bytes, capped. */
export async function decodeEventLog(
  source: AsyncIterable<Uint8Array>,
  options: { name?: string; limits?: DecodeLimits; counts?: ByteCounts },
): Promise<Decoded> {
  const limits = options.limits ?? DEFAULT_DECODE_LIMITS;
  const counts = options.counts ?? { compressed: 0, decompressed: 0 };
  const { head, all } = await peekHead(countCompressed(source, counts), 512);
  const codec = detectCodec(head, options.name);
  const end: StreamEnd = { endMarker: codec !== "lz4" };
  const decoded = decoder(codec, all, end);
  return { codec, bytes: capped(decoded, counts, limits, codec), end };
}

function decoder(codec: Codec, source: AsyncIterable<Uint8Array>, end: StreamEnd): AsyncIterable<Uint8Array> {
  switch (codec) {
    case "none":
      return source;
    case "gzip":
      return decodeGzipStream(source);
    case "zstd":
      return decodeZstdStream(source);
    case "lz4":
      return decodeLz4Stream(source, end);
    case "snappy":
      return decodeSnappyStream(source);
  }
}
