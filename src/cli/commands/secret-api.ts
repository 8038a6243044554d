import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Readable } from "node:stream";
import { ApiTransport, path } from "../../sdk/transport.ts";
import { ADMIN_TOKEN_FILE, type CliContext } from "../context.ts";
import { storedCredential } from "../credentials.ts";
import { UsageError } from "../errors.ts";

/** A secret as the server lists it: never its value. */
export interface SecretInfo {
  name: string;
  environment: string | null;
  version: number;
  createdAt: string;
  updatedAt: string;
  updatedBy: string | null;
}

/** The secrets endpoints, on the SDK's transport (same credentials, errors and base URL as every other command). */
export class SecretsApi extends ApiTransport {
  set(slug: string, name: string, body: { value: string; environment?: string }): Promise<SecretInfo> {
    return this.json(path`/api/v1/projects/${slug}/secrets/${name}`, { method: "PUT", json: body });
  }

  list(slug: string): Promise<{ items: SecretInfo[] }> {
    return this.json(path`/api/v1/projects/${slug}/secrets`);
  }

  async remove(slug: string, name: string, environment?: string): Promise<void> {
    await this.send(path`/api/v1/projects/${slug}/secrets/${name}`, {
      method: "DELETE",
      ...(environment === undefined ? {} : { query: { environment } }),
    });
  }
}

export function secretsApi(ctx: CliContext): SecretsApi {
  const { server, token } = ctx.options;
  const resolved = token ?? storedCredential(server)?.token ?? adminToken();
  return new SecretsApi({ baseUrl: server, userAgent: "stagegate-cli/0.1.0", ...(resolved ? { token: resolved } : {}) });
}

function adminToken(): string | undefined {
  const file = resolve(ADMIN_TOKEN_FILE);
  return existsSync(file) ? readFileSync(file, "utf8").trim() || undefined : undefined;
}

/** The value from stdin, less one trailing newline (`printf '%s' "$X" | …` and `echo "$X" | …` both work). */
export async function readSecretValue(input: Readable & { isTTY?: boolean }): Promise<string> {
  if (input.isTTY)
    throw new UsageError("pipe the secret's value into stdin, e.g. printf '%s' \"$TOKEN\" | stagegate secret set -p demo NAME");
  let text = "";
  for await (const chunk of input) text += typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString("utf8");
  const value = text.replace(/\r?\n$/, "");
  if (!value) throw new UsageError("no secret value on stdin");
  return value;
}
