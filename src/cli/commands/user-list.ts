import type { Command } from "commander";
import type { PageOf } from "../../shared/api.ts";
import type { User } from "../../shared/auth.api.ts";
import type { CliContext } from "../context.ts";
import { cursorOption, examples, limitOption } from "../options.ts";
import { formatTable, NONE, relativeTime } from "../output.ts";
import { morePages } from "../render.ts";

interface ListOptions {
  limit: number;
  cursor?: string;
}

export function registerUserList(user: Command, ctx: CliContext): void {
  user
    .command("list")
    .description("users by username (global admins)")
    .addOption(limitOption(50))
    .addOption(cursorOption())
    .addHelpText("after", examples("stagegate user list", "stagegate user list -o json"))
    .action(async (options: ListOptions) => {
      const page = await ctx.client().listUsers({ limit: options.limit, ...(options.cursor ? { cursor: options.cursor } : {}) });
      ctx.emit(page, renderUsers);
      const more = morePages("stagegate user list", page.nextCursor);
      if (more && !ctx.json) ctx.note(more);
    });
}

function renderUsers(page: PageOf<User>): string {
  return formatTable(
    ["USERNAME", "NAME", "EMAIL", "GLOBAL ADMIN", "CREATED"],
    page.items.map((user) => [
      user.username + (user.disabled ? " (disabled)" : ""),
      user.displayName ?? NONE,
      user.email ?? NONE,
      user.globalAdmin ? "yes" : "no",
      relativeTime(user.createdAt),
    ]),
  );
}
