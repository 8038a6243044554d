import { Type } from "typebox";
import { parseDuration } from "../../../shared/duration.ts";
import { TerminalError } from "./executor.types.ts";

/** Building blocks for executor config schemas, so every executor words its errors the same way. */

const DURATION_EXAMPLES = "e.g. 30s, 10m, 1h30m, or a number of seconds";

/** `"10m"`, `"1h30m"` or seconds; checked with the same parser the executor uses, so a value that passes also runs. */
export function DurationSchema(options: { default: string; description: string }) {
  return Type.Refine(
    Type.Union([Type.String({ minLength: 1 }), Type.Number({ minimum: 0 })], {
      default: options.default,
      description: `${options.description} (${DURATION_EXAMPLES}; default ${options.default})`,
    }),
    (value) => parseDuration(value) !== undefined,
    (value) => `${JSON.stringify(value)} is not a duration (${DURATION_EXAMPLES})`,
  );
}

/** A map of names to strings whose names must match `name` (env vars, HTTP headers); the error names the bad key. */
export function NamedStringsSchema(options: { name: RegExp; what: string; description: string }) {
  return Type.Refine(
    Type.Record(Type.String(), Type.String(), { description: options.description }),
    (value) => Object.keys(value).every((key) => options.name.test(key)),
    (value) => {
      const bad = Object.keys(value).find((key) => !options.name.test(key));
      return `has ${JSON.stringify(bad)}, which is not a valid ${options.what}`;
    },
  );
}

export function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}

/** An http(s) URL a target is called at; anything else is refused when the config is applied. */
export function HttpUrlSchema(options: { description: string; default?: string }) {
  return Type.Refine(
    Type.String({ minLength: 1, ...options }),
    (url) => isHttpUrl(url),
    (url) => `${JSON.stringify(url)} is not an http(s) URL`,
  );
}

/** Milliseconds of a validated duration; `fallback` when the field is absent. */
export function durationMs(value: string | number | undefined, fallback: string): number {
  const ms = parseDuration(value ?? fallback);
  if (ms === undefined) throw new TerminalError(`${JSON.stringify(value)} is not a duration (${DURATION_EXAMPLES})`);
  return ms;
}
