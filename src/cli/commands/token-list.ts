import type { Command } from "commander";
import type { PageOf } from "../../shared/api.ts";
import type { TokenInfo } from "../../shared/auth.api.ts";
import type { CliContext } from "../context.ts";
import { cursorOption, examples, limitOption } from "../options.ts";
import { formatTable, NONE, relativeTime } from "../output.ts";
import { morePages } from "../render.ts";

interface ListOptions {
  limit: number;
  cursor?: string;
}

export function registerTokenList(token: Command, ctx: CliContext): void {
  token
    .command("list")
    .description("your API tokens (every token for a global admin), newest first; secrets are never shown")
    .addOption(limitOption(50))
    .addOption(cursorOption())
    .addHelpText("after", examples("stagegate token list", "stagegate token list -o json"))
    .action(async (options: ListOptions) => {
      const page = await ctx.client().listTokens({ limit: options.limit, ...(options.cursor ? { cursor: options.cursor } : {}) });
      if (!ctx.json && page.items.length === 0)
        return ctx.note("no tokens; create one with: stagegate token create --name <name>");
      ctx.emit(page, renderTokens);
      const more = morePages("stagegate token list", page.nextCursor);
      if (more && !ctx.json) ctx.note(more);
    });
}

function state(token: TokenInfo, now = new Date().toISOString()): string {
  if (token.revokedAt) return "revoked";
  if (token.expiresAt && token.expiresAt <= now) return "expired";
  return "active";
}

function renderTokens(page: PageOf<TokenInfo>): string {
  return formatTable(
    ["ID", "NAME", "KIND", "ROLE", "PROJECTS", "OWNER", "STATE", "EXPIRES", "LAST USED"],
    page.items.map((token) => [
      token.id,
      token.name,
      token.kind,
      token.globalAdmin ? `${token.role}+global` : token.role,
      token.projects?.join(",") ?? "all",
      token.owner ?? NONE,
      state(token),
      token.expiresAt ?? "never",
      token.lastUsedAt ? relativeTime(token.lastUsedAt) : NONE,
    ]),
  );
}
