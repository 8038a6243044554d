import { hostname } from "node:os";
import type { Command } from "commander";
import { ApiError } from "../../sdk/errors.ts";
import type { CliContext } from "../context.ts";
import { credentialsPath, saveCredential, storedCredential } from "../credentials.ts";
import { examples, integerIn } from "../options.ts";
import { readPassword } from "../password-input.ts";

interface LoginOptions {
  username: string;
  passwordStdin?: boolean;
  expiresInDays: number;
}

/**
 * Signs in with a password, trades the short session for a personal API token (which never does more than the user
 * may) and keeps that token per server in the credentials file, where later commands find it.
 */
export function registerLogin(program: Command, ctx: CliContext): void {
  program
    .command("login")
    .description("sign in with your username and password; later commands use the personal token it stores")
    .requiredOption("-u, --username <username>", "your stagegate username")
    .option("--password-stdin", "read the password from stdin (for scripts) instead of asking")
    .option("--expires-in-days <days>", "lifetime of the stored token, 1-3650", integerIn(1, 3650), 90)
    .addHelpText(
      "after",
      examples(
        "stagegate login -u alice",
        'printf "%s" "$PASSWORD" | stagegate --server https://sg.example.com login -u ci --password-stdin',
      ),
    )
    .action(async (options: LoginOptions) => {
      const password = await readPassword({
        stdin: ctx.io.stdin ?? process.stdin,
        passwordStdin: options.passwordStdin === true,
        prompt: ctx.io.stderr,
      });
      const { session, cookie } = await ctx.clientWith({}).login({ username: options.username, password });
      const asUser = ctx.clientWith({ session: { cookie, csrfToken: session.csrfToken } });
      const created = await asUser.createToken({
        name: `cli on ${hostname()}`.slice(0, 100),
        kind: "personal",
        expiresInDays: options.expiresInDays,
      });
      await asUser.logout();
      const { server } = ctx.options;
      const previous = storedCredential(server);
      saveCredential(server, {
        token: created.token,
        tokenId: created.id,
        username: session.user.username,
        expiresAt: created.expiresAt,
        createdAt: created.createdAt,
      });
      // Signing in again replaces the token of the last sign-in; revoking it keeps old tokens from piling up.
      if (previous && previous.username === session.user.username && previous.tokenId !== created.id) {
        await ctx
          .clientWith({ token: created.token })
          .revokeToken(previous.tokenId)
          .catch((error: unknown) => {
            if (!(error instanceof ApiError && error.status === 404)) throw error;
          });
      }
      const result = { server, username: session.user.username, tokenId: created.id, expiresAt: created.expiresAt };
      ctx.emit(result, (r) => `signed in to ${r.server} as ${r.username}; token ${r.tokenId} saved to ${credentialsPath()}`);
    });
}
