import type { Command } from "commander";
import { ApiError } from "../../sdk/errors.ts";
import type { CliContext } from "../context.ts";
import { removeCredential } from "../credentials.ts";
import { examples } from "../options.ts";

/** Revokes the token `stagegate login` stored for this server and forgets it. */
export function registerLogout(program: Command, ctx: CliContext): void {
  program
    .command("logout")
    .description("revoke and forget the token that stagegate login stored for this server")
    .addHelpText("after", examples("stagegate logout", "stagegate --server https://sg.example.com logout"))
    .action(async () => {
      const { server } = ctx.options;
      const stored = removeCredential(server);
      if (!stored) return ctx.note(`not signed in to ${server}`);
      try {
        await ctx.clientWith({ token: stored.token }).revokeToken(stored.tokenId);
      } catch (error) {
        // Already revoked or expired: nothing left to undo; the local copy is gone either way.
        if (!(error instanceof ApiError && (error.status === 401 || error.status === 404))) throw error;
      }
      ctx.note(`signed out of ${server} (${stored.username})`);
    });
}
