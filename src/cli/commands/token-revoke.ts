import type { Command } from "commander";
import type { CliContext } from "../context.ts";
import { examples } from "../options.ts";

export function registerTokenRevoke(token: Command, ctx: CliContext): void {
  token
    .command("revoke")
    .description("revoke a token (yours, or any as a global admin); it stops working at once")
    .argument("<id>", "token id, as stagegate token list shows it")
    .addHelpText("after", examples("stagegate token revoke tok_01jd7x3k2m"))
    .action(async (id: string) => {
      await ctx.client().revokeToken(id);
      ctx.emit({ id, revoked: true }, () => `revoked ${id}`);
    });
}
