import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { UsageError } from "./errors.ts";

/** What `stagegate login` keeps per server: a personal API token (only this file ever holds its secret). */
export interface StoredCredential {
  token: string;
  tokenId: string;
  username: string;
  expiresAt: string | null;
  createdAt: string;
}

interface CredentialsFile {
  servers: Record<string, StoredCredential>;
}

/** `$XDG_CONFIG_HOME/stagegate/credentials.json`, `~/.config/…` by default. */
export function credentialsPath(env: Record<string, string | undefined> = process.env): string {
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), ".config");
  return join(base, "stagegate", "credentials.json");
}

/** One key per server however it was typed: `http://Host:8080/` and `http://host:8080` are the same. */
export function serverKey(server: string): string {
  const url = new URL(server);
  return `${url.origin}${url.pathname}`.replace(/\/+$/, "");
}

function read(file: string): CredentialsFile {
  if (!existsSync(file)) return { servers: {} };
  try {
    const parsed = JSON.parse(readFileSync(file, "utf8")) as Partial<CredentialsFile>;
    return { servers: parsed.servers ?? {} };
  } catch (error) {
    throw new UsageError(`cannot read ${file}; fix or delete it, then run stagegate login again`, { cause: error });
  }
}

export function storedCredential(server: string, file = credentialsPath()): StoredCredential | undefined {
  return read(file).servers[serverKey(server)];
}

/** Written to a temporary file (mode 0600) then renamed, so a crash never leaves half a file or a readable secret. */
function write(file: string, content: CredentialsFile): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, file);
}

export function saveCredential(server: string, credential: StoredCredential, file = credentialsPath()): void {
  const content = read(file);
  content.servers[serverKey(server)] = credential;
  write(file, content);
}

/** The removed credential, if there was one. */
export function removeCredential(server: string, file = credentialsPath()): StoredCredential | undefined {
  const content = read(file);
  const key = serverKey(server);
  const removed = content.servers[key];
  if (removed) {
    delete content.servers[key];
    write(file, content);
  }
  return removed;
}
