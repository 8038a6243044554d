import { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { CorruptStreamError, TruncatedStreamError } from "./errors.ts";

/** gzip (members concatenated are read on, as gunzip does), with node:zlib. */
export async function* decodeGzipStream(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  let offset = 0;
  const counted = (async function* () {
    for await (const chunk of source) {
      offset += chunk.length;
      yield chunk;
    }
  })();
  const gunzip = Readable.from(counted).pipe(createGunzip());
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) yield chunk;
  } catch (error) {
    const err = error as NodeJS.ErrnoException;
    if (err.code === "Z_BUF_ERROR" || /unexpected end/i.test(err.message))
      throw new TruncatedStreamError("gzip", offset, "ends inside a member");
    throw new CorruptStreamError("gzip", offset, err.message, { cause: error });
  } finally {
    gunzip.destroy();
  }
}
