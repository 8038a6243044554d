import { type Command, Option } from "commander";
import { DEPLOYMENT_STATUSES, type DeploymentStatus } from "../../shared/api.ts";
import type { CliContext } from "../context.ts";
import { cursorOption, examples, limitOption, projectOption } from "../options.ts";
import { deploymentTable, morePages } from "../render.ts";

interface ListOptions {
  project: string;
  env?: string;
  status?: DeploymentStatus;
  limit: number;
  cursor?: string;
}

export function registerDeployList(deploy: Command, ctx: CliContext): void {
  deploy
    .command("list")
    .description("list a project's deployments, newest first")
    .addOption(projectOption())
    .option("--env <env>", "only this environment")
    .addOption(new Option("--status <status>", "only deployments in this state").choices(DEPLOYMENT_STATUSES))
    .addOption(limitOption(20))
    .addOption(cursorOption())
    .addHelpText("after", examples("stagegate deploy list -p demo", "stagegate deploy list -p demo --env live --status failed"))
    .action(async (options: ListOptions) => {
      const page = await ctx.client().listDeployments(options.project, {
        limit: options.limit,
        ...(options.env ? { environment: options.env } : {}),
        ...(options.status ? { status: options.status } : {}),
        ...(options.cursor ? { cursor: options.cursor } : {}),
      });
      if (!ctx.json && page.items.length === 0) return ctx.note("no deployments match");
      ctx.emit(page, ({ items }) => deploymentTable(items));
      const more = morePages(`stagegate deploy list -p ${options.project} --limit ${options.limit}`, page.nextCursor);
      if (more && !ctx.json) ctx.note(more);
    });
}
