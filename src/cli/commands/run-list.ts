import { type Command, Option } from "commander";
import { RUN_STATUSES } from "../../sdk/runs.ts";
import type { RunStatus } from "../../shared/runs.api.ts";
import type { CliContext } from "../context.ts";
import { cursorOption, examples, limitOption, projectOption } from "../options.ts";
import { morePages } from "../render.ts";
import { runTable } from "../run-render.ts";
import { runsApi } from "./run-client.ts";

interface ListOptions {
  project: string;
  name?: string;
  env?: string;
  status?: RunStatus;
  limit: number;
  cursor?: string;
}

export function registerRunList(run: Command, ctx: CliContext): void {
  run
    .command("list")
    .description("list a project's pipeline runs, newest first")
    .addOption(projectOption())
    .option("--name <job>", "only runs of this job")
    .option("--env <env>", "only this environment")
    .addOption(new Option("--status <status>", "only runs in this state").choices(RUN_STATUSES))
    .addOption(limitOption(20))
    .addOption(cursorOption())
    .addHelpText(
      "after",
      examples("stagegate run list -p demo", "stagegate run list -p demo --name nightly-train --env quant_stg --status failed"),
    )
    .action(async (options: ListOptions) => {
      const page = await runsApi(ctx).listRuns(options.project, {
        limit: options.limit,
        ...(options.name ? { name: options.name } : {}),
        ...(options.env ? { environment: options.env } : {}),
        ...(options.status ? { status: options.status } : {}),
        ...(options.cursor ? { cursor: options.cursor } : {}),
      });
      if (!ctx.json && page.items.length === 0) return ctx.note("no runs match");
      ctx.emit(page, runTable);
      const filters = [
        options.name ? ` --name ${options.name}` : "",
        options.env ? ` --env ${options.env}` : "",
        options.status ? ` --status ${options.status}` : "",
      ].join("");
      const more = morePages(`stagegate run list -p ${options.project}${filters} --limit ${options.limit}`, page.nextCursor);
      if (more && !ctx.json) ctx.note(more);
    });
}
