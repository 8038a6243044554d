import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * AES-256-GCM for secret values. The ciphertext is bound to where the secret lives (project, environment, name) as
 * additional authenticated data, so a row copied onto another secret fails to decrypt instead of leaking.
 */

const FORMAT = "v1";
export const KEY_FILE = "secret.key";

export interface SecretKey {
  id: string;
  key: Buffer;
}

export interface SecretKeyring {
  /** Encrypts with this one. */
  current: SecretKey;
  /** Also decrypts with these (keys rotated out, from STAGEGATE_SECRET_KEY_PREVIOUS). */
  previous: SecretKey[];
  /** Where the key came from, for messages: `STAGEGATE_SECRET_KEY` or the key file's path. */
  source: string;
}

export function keyId(key: Buffer): string {
  return createHash("sha256").update(key).digest("hex").slice(0, 16);
}

/** 32 bytes as 64 hex characters or base64 (what `openssl rand -base64 32` prints). */
export function parseKey(text: string, what: string): SecretKey {
  const trimmed = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(trimmed) ? Buffer.from(trimmed, "hex") : Buffer.from(trimmed, "base64");
  if (key.length !== 32) {
    throw new Error(`${what} must be 32 bytes, as 64 hex characters or base64 (e.g. the output of \`openssl rand -base64 32\`)`);
  }
  return { id: keyId(key), key };
}

/**
 * The key from STAGEGATE_SECRET_KEY, else `<dataDir>/secret.key`, created (mode 0600) the first time. Several
 * replicas must share one key, so they need STAGEGATE_SECRET_KEY (or the same key file).
 */
export function loadKeyring(options: { env: Record<string, string | undefined>; dataDir: string }): SecretKeyring {
  const previous = (options.env.STAGEGATE_SECRET_KEY_PREVIOUS ?? "")
    .split(",")
    .filter((part) => part.trim() !== "")
    .map((part, index) => parseKey(part, `STAGEGATE_SECRET_KEY_PREVIOUS[${index}]`));
  const fromEnv = options.env.STAGEGATE_SECRET_KEY;
  if (fromEnv) return { current: parseKey(fromEnv, "STAGEGATE_SECRET_KEY"), previous, source: "STAGEGATE_SECRET_KEY" };
  const file = join(options.dataDir, KEY_FILE);
  mkdirSync(options.dataDir, { recursive: true });
  try {
    // `wx`: only the first process to get here writes a key; any other reads that one.
    writeFileSync(file, `${randomBytes(32).toString("base64")}\n`, { flag: "wx", mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST")
      throw new Error(`cannot create the secret key file ${file}`, { cause: error });
  }
  const mode = statSync(file).mode & 0o777;
  if (mode & 0o077) {
    throw new Error(`the secret key file ${file} is readable by others (mode ${mode.toString(8)}); run: chmod 600 ${file}`);
  }
  return { current: parseKey(readFileSync(file, "utf8"), file), previous, source: file };
}

export interface SecretScope {
  projectId: string;
  environment: string;
  name: string;
}

function aad(scope: SecretScope): Buffer {
  return Buffer.from(`${scope.projectId}\n${scope.environment}\n${scope.name}`, "utf8");
}

export function encryptSecret(keyring: SecretKeyring, scope: SecretScope, value: string): { ciphertext: string; keyId: string } {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", keyring.current.key, iv);
  cipher.setAAD(aad(scope));
  const body = Buffer.concat([cipher.update(value, "utf8"), cipher.final()]);
  const parts = [
    FORMAT,
    keyring.current.id,
    iv.toString("base64"),
    cipher.getAuthTag().toString("base64"),
    body.toString("base64"),
  ];
  return { ciphertext: parts.join(":"), keyId: keyring.current.id };
}

export function decryptSecret(keyring: SecretKeyring, scope: SecretScope, ciphertext: string): string {
  const [format, id, iv, tag, body] = ciphertext.split(":");
  if (format !== FORMAT || !id || !iv || !tag || body === undefined)
    throw new Error(`secret "${scope.name}" is stored in an unknown format`);
  const key = [keyring.current, ...keyring.previous].find((candidate) => candidate.id === id);
  if (!key) {
    throw new Error(
      `secret "${scope.name}" was encrypted with key ${id}, which this server does not have (it uses ${keyring.current.id} from ${keyring.source}); ` +
        "set STAGEGATE_SECRET_KEY to the key the other replicas use, or list the old key in STAGEGATE_SECRET_KEY_PREVIOUS",
    );
  }
  const decipher = createDecipheriv("aes-256-gcm", key.key, Buffer.from(iv, "base64"));
  decipher.setAAD(aad(scope));
  decipher.setAuthTag(Buffer.from(tag, "base64"));
  try {
    return Buffer.concat([decipher.update(Buffer.from(body, "base64")), decipher.final()]).toString("utf8");
  } catch (error) {
    throw new Error(`secret "${scope.name}" does not decrypt: it was altered or belongs to another project or environment`, {
      cause: error,
    });
  }
}
