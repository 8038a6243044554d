import type { Command } from "commander";
import type { PageOf, Project } from "../../shared/api.ts";
import type { CliContext } from "../context.ts";
import { cursorOption, examples, limitOption } from "../options.ts";
import { formatTable, NONE, relativeTime } from "../output.ts";
import { morePages } from "../render.ts";

interface ListOptions {
  limit: number;
  cursor?: string;
}

export function registerProjectList(project: Command, ctx: CliContext): void {
  project
    .command("list")
    .description("list projects with their environments in lifecycle order")
    .addOption(limitOption(50))
    .addOption(cursorOption())
    .addHelpText("after", examples("stagegate project list", "stagegate project list -o json"))
    .action(async (options: ListOptions) => {
      const page = await ctx
        .client()
        .listProjects({ limit: options.limit, ...(options.cursor ? { cursor: options.cursor } : {}) });
      if (!ctx.json && page.items.length === 0)
        return ctx.note("no projects yet; create one with: stagegate project apply -f stagegate.yaml");
      ctx.emit(page, renderProjects);
      const more = morePages("stagegate project list", page.nextCursor);
      if (more && !ctx.json) ctx.note(more);
    });
}

function renderProjects(page: PageOf<Project>): string {
  return formatTable(
    ["SLUG", "NAME", "ENVIRONMENTS", "REPO", "CREATED"],
    page.items.map((project) => [
      project.slug,
      project.name,
      project.environments.join(" → ") || NONE,
      project.repoUrl ?? NONE,
      relativeTime(project.createdAt),
    ]),
  );
}
