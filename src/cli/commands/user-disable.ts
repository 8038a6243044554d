import type { Command } from "commander";
import type { CliContext } from "../context.ts";
import { examples } from "../options.ts";
import { renderUser } from "./user-create.ts";

/** `user disable` and `user enable`: one switch, two verbs, so a script says what it means. */
export function registerUserDisable(user: Command, ctx: CliContext): void {
  user
    .command("disable")
    .description("disable a user (global admins): sign-in, sessions and personal tokens stop working at once")
    .argument("<username>", "who")
    .addHelpText("after", examples("stagegate user disable mallory"))
    .action(async (username: string) => {
      ctx.emit(await ctx.client().setUserDisabled(username, true), renderUser);
    });
  user
    .command("enable")
    .description("enable a disabled user again (global admins); they sign in anew")
    .argument("<username>", "who")
    .addHelpText("after", examples("stagegate user enable mallory"))
    .action(async (username: string) => {
      ctx.emit(await ctx.client().setUserDisabled(username, false), renderUser);
    });
}
