import type { Command } from "commander";
import type { PageOf, Release } from "../../shared/api.ts";
import type { CliContext } from "../context.ts";
import { cursorOption, examples, limitOption, projectOption } from "../options.ts";
import { formatTable, NONE, relativeTime } from "../output.ts";
import { morePages } from "../render.ts";

interface ListOptions {
  project: string;
  limit: number;
  cursor?: string;
}

export function registerReleaseList(release: Command, ctx: CliContext): void {
  release
    .command("list")
    .description("list a project's releases, newest first")
    .addOption(projectOption())
    .addOption(limitOption(20))
    .addOption(cursorOption())
    .addHelpText("after", examples("stagegate release list -p demo", "stagegate release list -p demo --limit 100 -o json"))
    .action(async (options: ListOptions) => {
      const page = await ctx
        .client()
        .listReleases(options.project, { limit: options.limit, ...(options.cursor ? { cursor: options.cursor } : {}) });
      if (!ctx.json && page.items.length === 0) {
        return ctx.note(`no releases in ${options.project} yet; create one with: stagegate release create`);
      }
      ctx.emit(page, renderReleases);
      const more = morePages(`stagegate release list -p ${options.project} --limit ${options.limit}`, page.nextCursor);
      if (more && !ctx.json) ctx.note(more);
    });
}

function renderReleases(page: PageOf<Release>): string {
  return formatTable(
    ["VERSION", "COMMIT", "BRANCH", "CREATED", "BY"],
    page.items.map((release) => [
      release.version,
      release.commitSha.slice(0, 12),
      release.branch,
      relativeTime(release.createdAt),
      release.createdBy ?? NONE,
    ]),
  );
}
