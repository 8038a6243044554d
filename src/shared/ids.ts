import { randomBytes } from "node:crypto";

// Crockford base32: sortable, case-insensitive, no I/L/O/U.
const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

function encode(value: bigint, length: number): string {
  let out = "";
  let rest = value;
  for (let i = 0; i < length; i++) {
    out = ALPHABET[Number(rest & 31n)] + out;
    rest >>= 5n;
  }
  return out;
}

/**
 * A ULID-shaped id (48-bit time + 80 random bits) with a readable prefix, e.g. `dep_01jd…`.
 * Time-ordered, so ids created later sort later: keyset pagination can use them as a tiebreaker.
 */
export function newId(prefix: string, now: number = Date.now()): string {
  const random = BigInt(`0x${randomBytes(10).toString("hex")}`);
  return `${prefix}_${encode(BigInt(now), 10)}${encode(random, 16)}`;
}
