/**
 * Canonical JSON: one byte sequence per JSON value, so a hash over it does not depend on key order or spacing.
 * The rules (docs/audit.md spells them out for other implementations) are those of JSON.stringify with object keys
 * sorted by UTF-16 code units and no whitespace — which is RFC 8785 (JCS) for every value JCS accepts:
 * strings escaped as JSON.stringify does, numbers in ECMAScript's shortest round-trip form (`-0` → `0`).
 * Values JSON cannot carry faithfully (NaN, ±Infinity, BigInt, cycles) throw instead of silently becoming `null`,
 * since a hash over a lossy rendering could never be checked again.
 */
export function canonicalJson(value: unknown): string {
  const text = write(value, [], "");
  if (text === undefined) throw new TypeError("canonicalJson: the value is not JSON (undefined, a function or a symbol)");
  return text;
}

interface WithToJson {
  toJSON(key: string): unknown;
}

function hasToJson(value: object): value is WithToJson {
  return typeof (value as { toJSON?: unknown }).toJSON === "function";
}

/** `undefined` means "omit" (an object member) or `null` (an array element), as in JSON.stringify. */
function write(input: unknown, ancestors: object[], key: string): string | undefined {
  const value = typeof input === "object" && input !== null && hasToJson(input) ? input.toJSON(key) : input;
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "number":
      if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: ${value} at "${key}" has no JSON form`);
      return JSON.stringify(value);
    case "boolean":
      return value ? "true" : "false";
    case "bigint":
      throw new TypeError(`canonicalJson: BigInt at "${key}" has no JSON form; convert it to a string or number`);
    case "undefined":
    case "function":
    case "symbol":
      return undefined;
    case "object":
      if (value === null) return "null";
      return writeComposite(value, ancestors);
  }
}

function writeComposite(value: object, ancestors: object[]): string {
  if (ancestors.includes(value)) throw new TypeError("canonicalJson: the value contains a cycle");
  ancestors.push(value);
  try {
    if (Array.isArray(value)) {
      return `[${value.map((item: unknown, index) => write(item, ancestors, String(index)) ?? "null").join(",")}]`;
    }
    const record = value as Record<string, unknown>;
    const members: string[] = [];
    // Array.prototype.sort without a comparator orders by UTF-16 code units, as RFC 8785 §3.2.3 requires.
    for (const name of Object.keys(record).sort()) {
      const text = write(record[name], ancestors, name);
      if (text !== undefined) members.push(`${JSON.stringify(name)}:${text}`);
    }
    return `{${members.join(",")}}`;
  } finally {
    ancestors.pop();
  }
}
