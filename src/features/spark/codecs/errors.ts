import { DomainError } from "../../../shared/errors.ts";
import type { Codec } from "../spark.types.ts";

/** A compressed stream broke (bad magic, checksum, block): what came before it is still analysed. */
export class CorruptStreamError extends Error {
  constructor(
    readonly codec: Codec,
    /** Offset in the compressed input where the broken frame/block starts. */
    readonly offset: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${codec} stream is corrupt at byte ${offset}: ${message}`, options);
    this.name = "CorruptStreamError";
  }
}

/** The stream ended inside a frame or block: the writer was cut off (a running or crashed application). */
export class TruncatedStreamError extends CorruptStreamError {
  constructor(codec: Codec, offset: number, message = "ends inside a block") {
    super(codec, offset, message);
    this.message = `${codec} stream is cut off at byte ${offset}: ${message}`;
    this.name = "TruncatedStreamError";
  }
}

/** Decompressed too much, or expanding too fast: a decompression bomb, refused (HTTP 413). */
export function decompressionLimit(message: string, details: Record<string, unknown>): DomainError {
  return new DomainError("payload_too_large", message, { details });
}

/** Not a Spark event log at all (HTTP 422), with what it looks like instead. */
export function notAnEventLog(looksLike: string, hint = ""): DomainError {
  return new DomainError(
    "invalid_report",
    `This is not a Spark event log: it looks like ${looksLike}.${hint ? ` ${hint}` : ""} Upload the file Spark writes to spark.eventLog.dir (plain, .zstd, .lz4, .snappy or .gz), or a rolling eventlog_v2_* directory.`,
    { details: { looksLike } },
  );
}
