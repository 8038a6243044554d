import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { FlagsAdminClient } from "../../sdk/flags/flags-admin.client.ts";
import { ADMIN_TOKEN_FILE, type CliContext } from "../context.ts";
import { storedCredential } from "../credentials.ts";

/** The flag management client, with the same credentials `ctx.client()` resolves (flag, stored login, local admin). */
export function flagsClient(ctx: CliContext): FlagsAdminClient {
  const { server, token } = ctx.options;
  const file = resolve(ADMIN_TOKEN_FILE);
  const resolved =
    token ?? storedCredential(server)?.token ?? (existsSync(file) ? readFileSync(file, "utf8").trim() || undefined : undefined);
  return new FlagsAdminClient({ baseUrl: server, userAgent: "stagegate-cli/0.1.0", ...(resolved ? { token: resolved } : {}) });
}
