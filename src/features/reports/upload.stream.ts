import { createGunzip } from "node:zlib";
import { DomainError } from "../../shared/errors.ts";

export interface UploadLimits {
  /** Bytes accepted on the wire. */
  maxBytes: number;
  /** Bytes after decompression. */
  maxDecompressedBytes: number;
  /** Decompressed / compressed, checked once a little data has passed (a bomb shows itself early). */
  maxRatio: number;
}

function tooLarge(message: string): DomainError {
  return new DomainError("payload_too_large", message);
}

/** Passes chunks through, stopping with 413 once more than `max` bytes have come. */
export async function* limitBytes(
  source: AsyncIterable<Buffer | Uint8Array | string>,
  max: number,
  what: string,
): AsyncGenerator<Buffer> {
  let seen = 0;
  for await (const chunk of source) {
    const buffer = typeof chunk === "string" ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    seen += buffer.length;
    if (seen > max) throw tooLarge(`${what} is larger than the limit of ${max} bytes`);
    yield buffer;
  }
}

/** Streams a gzip body out decompressed, refusing decompression bombs by size and by ratio. */
export async function* gunzipLimited(source: AsyncIterable<Buffer>, limits: UploadLimits): AsyncGenerator<Buffer> {
  const gunzip = createGunzip();
  let compressed = 0;
  let out = 0;
  const feed = (async () => {
    try {
      for await (const chunk of source) {
        if (gunzip.destroyed) return;
        compressed += chunk.length;
        // Wait for room, or for the reader to give up (a refused bomb destroys the stream: no drain comes then).
        if (!gunzip.write(chunk)) {
          await new Promise((resolve) => {
            gunzip.once("drain", resolve);
            gunzip.once("close", resolve);
          });
        }
      }
      gunzip.end();
    } catch (error) {
      gunzip.destroy(error as Error);
    }
  })();
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      out += chunk.length;
      if (out > limits.maxDecompressedBytes)
        throw tooLarge(`decompressed upload is larger than ${limits.maxDecompressedBytes} bytes`);
      if (out > 1024 * 1024 && out / Math.max(compressed, 1) > limits.maxRatio) {
        throw tooLarge(`upload expands more than ${limits.maxRatio}:1 when decompressed; refusing it as a decompression bomb`);
      }
      yield chunk;
    }
  } catch (error) {
    if (error instanceof DomainError) throw error;
    throw new DomainError("invalid_request", `body is not valid gzip: ${(error as Error).message}`);
  } finally {
    gunzip.destroy();
    await feed;
  }
}
