/** Typed reads from a parsed event: Spark's JSON is loosely typed across versions (numbers sometimes as strings). */
export type Json = Record<string, unknown>;

export function obj(value: Json | undefined, key: string): Json | undefined {
  const found = value?.[key];
  return typeof found === "object" && found !== null && !Array.isArray(found) ? (found as Json) : undefined;
}

export function num(value: Json | undefined, key: string): number {
  const found = value?.[key];
  if (typeof found === "number") return found;
  if (typeof found === "string" && found !== "") {
    const parsed = Number(found);
    return Number.isFinite(parsed) ? parsed : 0;
  }
  return 0;
}

export function numOrNull(value: Json | undefined, key: string): number | null {
  const found = value?.[key];
  if (typeof found === "number") return found;
  if (typeof found === "string" && found !== "" && Number.isFinite(Number(found))) return Number(found);
  return null;
}

export function str(value: Json | undefined, key: string): string | null {
  const found = value?.[key];
  if (typeof found === "string") return found;
  if (typeof found === "number" || typeof found === "boolean") return String(found);
  return null;
}

export function arr(value: Json | undefined, key: string): unknown[] {
  const found = value?.[key];
  return Array.isArray(found) ? found : [];
}

export function isJson(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Increments a counter in a plain record, keeping at most `cap` distinct keys (the rest go under "(other)"). */
export function bump(counts: Record<string, number>, key: string, cap = 200): void {
  const existing = counts[key];
  if (existing !== undefined) {
    counts[key] = existing + 1;
    return;
  }
  const target = Object.keys(counts).length >= cap ? "(other)" : key;
  counts[target] = (counts[target] ?? 0) + 1;
}
