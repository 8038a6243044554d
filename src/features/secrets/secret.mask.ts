import type { LogSink } from "../deployments/executors/executor.types.ts";

export const MASK = "***";
/** Shorter values would mask ordinary words and digits all over the log; such secrets are weak anyway. */
const MIN_MASKED_LENGTH = 4;

/** Replaces every secret value in a line with `***`; longest first, so a value inside another is not half-masked. */
export function maskSecrets(line: string, values: readonly string[]): string {
  let masked = line;
  for (const value of values) if (value.length >= MIN_MASKED_LENGTH) masked = masked.split(value).join(MASK);
  return masked;
}

/** A log sink that writes through `sink` with the secret values masked (also each line of a multi-line value). */
export function maskingSink(sink: LogSink, values: readonly string[]): LogSink {
  const parts = values.flatMap((value) => [value, ...value.split(/\r?\n/)]).map((value) => value.trim());
  const unique = [...new Set(parts)].filter((value) => value.length >= MIN_MASKED_LENGTH).sort((a, b) => b.length - a.length);
  if (unique.length === 0) return sink;
  return {
    write: (stream, line) => sink.write(stream, maskSecrets(line, unique)),
    flush: () => sink.flush(),
  };
}
