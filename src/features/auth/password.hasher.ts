import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from "node:crypto";

/**
 * Password hashes as `scrypt$<log2 N>$<r>$<p>$<salt>$<hash>` (salt and hash base64url): the parameters travel with
 * each hash, so raising the cost later leaves old hashes verifiable (and `needsRehash` says when to upgrade one).
 */
export interface ScryptParams {
  log2N: number;
  r: number;
  p: number;
}

/** One of OWASP's equivalent scrypt minimums: N=2^15, r=8, p=3: 32 MiB per hash (libuv runs at most 4 at once). */
export const DEFAULT_SCRYPT: ScryptParams = { log2N: 15, r: 8, p: 3 };
const KEY_BYTES = 32;
const SALT_BYTES = 16;

function derive(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  const N = 2 ** params.log2N;
  // Node refuses scrypt above `maxmem` (32 MiB by default); the need is 128 * N * r bytes.
  const options: ScryptOptions = { N, r: params.r, p: params.p, maxmem: 128 * N * params.r + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize("NFC"), salt, KEY_BYTES, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, params);
  return ["scrypt", params.log2N, params.r, params.p, salt.toString("base64url"), key.toString("base64url")].join("$");
}

interface ParsedHash {
  params: ScryptParams;
  salt: Buffer;
  key: Buffer;
}

function parse(encoded: string): ParsedHash | undefined {
  const [scheme, log2N, r, p, salt, key, ...rest] = encoded.split("$");
  if (scheme !== "scrypt" || rest.length > 0 || salt === undefined || key === undefined) return undefined;
  const params = { log2N: Number(log2N), r: Number(r), p: Number(p) };
  const sane = [params.log2N, params.r, params.p].every((n) => Number.isInteger(n) && n >= 1) && params.log2N <= 24;
  return sane ? { params, salt: Buffer.from(salt, "base64url"), key: Buffer.from(key, "base64url") } : undefined;
}

/** True when `password` matches; compares in constant time. A malformed hash never matches. */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const parsed = parse(encoded);
  if (!parsed || parsed.key.length !== KEY_BYTES) return false;
  const key = await derive(password, parsed.salt, parsed.params);
  return timingSafeEqual(key, parsed.key);
}

export function needsRehash(encoded: string, params: ScryptParams = DEFAULT_SCRYPT): boolean {
  const parsed = parse(encoded);
  return !parsed || parsed.params.log2N < params.log2N || parsed.params.r !== params.r || parsed.params.p !== params.p;
}
