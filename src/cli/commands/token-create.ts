import { type Command, Option } from "commander";
import type { CreatedToken, CreateTokenBody } from "../../shared/auth.api.ts";
import { ROLES, type Role } from "../../shared/roles.ts";
import type { CliContext } from "../context.ts";
import { examples, integerIn } from "../options.ts";
import { formatFields } from "../output.ts";

interface CreateOptions {
  name: string;
  kind?: "personal" | "service";
  role?: Role;
  project?: string[];
  globalAdmin?: boolean;
  expiresInDays?: number;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerTokenCreate(token: Command, ctx: CliContext): void {
  token
    .command("create")
    .description("create an API token (for CI); the secret is printed once and never again")
    .requiredOption("--name <name>", "what the token is for, e.g. github-actions")
    .addOption(
      new Option("--kind <kind>", "personal: acts as you, never above your roles; service: its own role (global admins)").choices(
        ["personal", "service"],
      ),
    )
    .addOption(new Option("--role <role>", "a service token's role, or a cap on yours (default: admin)").choices([...ROLES]))
    .option("-p, --project <slug>", "only this project (repeat for more; default: every project)", collect)
    .option("--global-admin", "service token that may also manage users and tokens")
    .option("--expires-in-days <days>", "lifetime in days, 1-3650 (default: never expires)", integerIn(1, 3650))
    .addHelpText(
      "after",
      examples(
        "stagegate token create --name github-actions --role developer -p shop --expires-in-days 90",
        "stagegate token create --name deploy-bot --kind service --role approver",
        "stagegate token create --name ci -o json",
      ),
    )
    .action(async (options: CreateOptions) => {
      const body: CreateTokenBody = {
        name: options.name,
        ...(options.kind === undefined ? {} : { kind: options.kind }),
        ...(options.role === undefined ? {} : { role: options.role }),
        ...(options.project === undefined ? {} : { projects: options.project }),
        ...(options.globalAdmin ? { globalAdmin: true } : {}),
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
    ["Kind", token.kind],
    ["Role", token.globalAdmin ? `${token.role} (global admin)` : token.role],
    ["Projects", token.projects?.join(", ") ?? "all"],
    ["Expires", token.expiresAt ?? "never"],
    ["Token", token.token],
  ]);
}
