import type { Command } from "commander";
import type { CliContext } from "../context.ts";
import { examples, projectOption } from "../options.ts";

export function registerMemberRemove(member: Command, ctx: CliContext): void {
  member
    .command("remove")
    .description("remove a user from a project")
    .addOption(projectOption())
    .argument("<username>", "the user")
    .addHelpText("after", examples("stagegate member remove -p shop alice"))
    .action(async (username: string, options: { project: string }) => {
      await ctx.client().removeMember(options.project, username);
      ctx.emit(
        { project: options.project, username, removed: true },
        () => `${username} is no longer a member of ${options.project}`,
      );
    });
}
