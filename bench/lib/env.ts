/** An integer ≥ `min` from an env var, or `fallback` when it is unset; anything else stops the bench with a clear message. */
export function intFromEnv(name: string, options: { fallback: number; min: number }): number {
  const text = process.env[name];
  if (text === undefined || text === "") return options.fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < options.min) {
    throw new Error(`${name}=${JSON.stringify(text)}: expected an integer ≥ ${options.min}`);
  }
  return value;
}

/** A comma-separated list from an env var; undefined when unset (meaning "all"). */
export function listFromEnv(name: string): string[] | undefined {
  const text = process.env[name];
  if (text === undefined || text.trim() === "") return undefined;
  return text
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
}
