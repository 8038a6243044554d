import { CorruptStreamError, TruncatedStreamError } from "./errors.ts";
import { Decompress } from "./vendor/fzstd.js";

/**
 * Zstandard frames (Spark's ZStdCompressionCodec), streamed through fzstd: memory is twice the frame window, not the
 * file. fzstd is vendored with two fixes (see vendor/fzstd.js): offsets of windows over 32 MiB, which Databricks logs
 * use (128 MiB), decoded wrongly; and streaming shifted the whole window after every block (quadratic).
 */
export async function* decodeZstdStream(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const out: Uint8Array[] = [];
  // Each block arrives in a fresh array (the window keeps its own copy), so no copy is needed here.
  const decoder = new Decompress((data) => {
    out.push(data);
  });
  let offset = 0;
  for await (const chunk of source) {
    try {
      decoder.push(chunk);
    } catch (error) {
      yield* out.splice(0);
      throw new CorruptStreamError("zstd", offset, (error as Error).message, { cause: error });
    }
    offset += chunk.length;
    if (out.length > 0) yield* out.splice(0);
  }
  try {
    decoder.push(new Uint8Array(0), true);
  } catch (error) {
    yield* out.splice(0);
    throw new TruncatedStreamError("zstd", offset, `ends inside a frame (${(error as Error).message})`);
  }
  yield* out.splice(0);
}
