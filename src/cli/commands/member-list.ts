import type { Command } from "commander";
import type { Member } from "../../shared/auth.api.ts";
import type { CliContext } from "../context.ts";
import { examples, projectOption } from "../options.ts";
import { formatTable, NONE, relativeTime } from "../output.ts";

export function registerMemberList(member: Command, ctx: CliContext): void {
  member
    .command("list")
    .description("members of a project with their roles")
    .addOption(projectOption())
    .addHelpText("after", examples("stagegate member list -p shop"))
    .action(async (options: { project: string }) => {
      const members = await ctx.client().listMembers(options.project);
      if (!ctx.json && members.items.length === 0) {
        return ctx.note(`no members yet; add one with: stagegate member set -p ${options.project} <username> <role>`);
      }
      ctx.emit(members, renderMembers);
    });
}

function renderMembers(members: { items: Member[] }): string {
  return formatTable(
    ["USERNAME", "NAME", "ROLE", "SINCE"],
    members.items.map((m) => [m.username, m.displayName ?? NONE, m.role, relativeTime(m.createdAt)]),
  );
}
