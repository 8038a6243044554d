import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { RunsClient } from "../../sdk/runs.ts";
import { ADMIN_TOKEN_FILE, type CliContext } from "../context.ts";
import { storedCredential } from "../credentials.ts";

function adminToken(): string | undefined {
  const file = resolve(ADMIN_TOKEN_FILE);
  return existsSync(file) ? readFileSync(file, "utf8").trim() || undefined : undefined;
}

/** The same credentials the other commands use: --token / STAGEGATE_TOKEN, the stored login, the local admin token. */
export function runsApi(ctx: CliContext): RunsClient {
  const { server, token } = ctx.options;
  const resolved = token ?? storedCredential(server)?.token ?? adminToken();
  return new RunsClient({ baseUrl: server, userAgent: "stagegate-cli/0.1.0", ...(resolved ? { token: resolved } : {}) });
}
