import type { Command } from "commander";
import type { CreateUserBody, User } from "../../shared/auth.api.ts";
import type { CliContext } from "../context.ts";
import { examples } from "../options.ts";
import { formatFields, NONE } from "../output.ts";
import { readPasswordFromStream } from "../password-input.ts";

interface CreateOptions {
  displayName?: string;
  email?: string;
  globalAdmin?: boolean;
  passwordStdin?: boolean;
}

export function registerUserCreate(user: Command, ctx: CliContext): void {
  user
    .command("create")
    .description("create a user (global admins); without --password-stdin the user signs in through OIDC only")
    .argument("<username>", "letters, digits and . _ @ + -")
    .option("--display-name <name>", "the name people see")
    .option("--email <address>", "where notifications go")
    .option("--global-admin", "may do everything everywhere, including managing users")
    .option("--password-stdin", "read the user's first password from stdin")
    .addHelpText(
      "after",
      examples(
        'printf "%s" "$PW" | stagegate user create alice --display-name "Alice Doe" --password-stdin',
        "stagegate user create bob",
      ),
    )
    .action(async (username: string, options: CreateOptions) => {
      const body: CreateUserBody = {
        username,
        ...(options.displayName === undefined ? {} : { displayName: options.displayName }),
        ...(options.email === undefined ? {} : { email: options.email }),
        ...(options.globalAdmin ? { globalAdmin: true } : {}),
        ...(options.passwordStdin ? { password: await readPasswordFromStream(ctx.io.stdin ?? process.stdin) } : {}),
      };
      ctx.emit(await ctx.client().createUser(body), renderUser);
    });
}

export function renderUser(user: User): string {
  return formatFields([
    ["Username", user.username],
    ["Name", user.displayName ?? NONE],
    ["Email", user.email ?? NONE],
    ["Global admin", user.globalAdmin ? "yes" : "no"],
    ["Disabled", user.disabled ? "yes" : "no"],
    ["Created", user.createdAt],
  ]);
}
