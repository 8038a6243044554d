import type { Command } from "commander";
import type { CreatedToken, CreateTokenBody } from "../../shared/api.ts";
import type { CliContext } from "../context.ts";
import { examples, integerIn } from "../options.ts";
import { formatFields } from "../output.ts";

interface CreateOptions {
  name: string;
  expiresInDays?: number;
}

export function registerTokenCreate(token: Command, ctx: CliContext): void {
  token
    .command("create")
    .description("create an API token with your roles (for CI); the secret is printed once and never again")
    .requiredOption("--name <name>", "what the token is for, e.g. github-actions")
    .option("--expires-in-days <days>", "lifetime in days, 1-3650 (default: never expires)", integerIn(1, 3650))
    .addHelpText(
      "after",
      examples("stagegate token create --name github-actions --expires-in-days 90", "stagegate token create --name ci -o json"),
    )
    .action(async (options: CreateOptions) => {
      const body: CreateTokenBody = {
        name: options.name,
        ...(options.expiresInDays === undefined ? {} : { expiresInDays: options.expiresInDays }),
      };
      const created = await ctx.client().createToken(body);
      ctx.emit(created, renderToken);
      if (!ctx.json) ctx.note("store the token now: it cannot be shown again. use it with --token or STAGEGATE_TOKEN");
    });
}

function renderToken(token: CreatedToken): string {
  return formatFields([
    ["ID", token.id],
    ["Name", token.name],
    ["Expires", token.expiresAt ?? "never"],
    ["Token", token.token],
  ]);
}
