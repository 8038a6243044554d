import type { Command } from "commander";
import type { ReleaseDetail } from "../../shared/api.ts";
import type { CliContext } from "../context.ts";
import { examples, projectOption } from "../options.ts";
import { elapsed, formatTable, NONE, relativeTime } from "../output.ts";
import { releaseFields } from "../render.ts";

export function registerReleaseGet(release: Command, ctx: CliContext): void {
  release
    .command("get")
    .description("show a release and its latest deployment in every environment")
    .argument("<version>", "release version")
    .addOption(projectOption())
    .addHelpText("after", examples("stagegate release get -p demo 1.4.0", "stagegate release get -p demo 1.4.0 -o json"))
    .action(async (version: string, options: { project: string }) => {
      const detail = await ctx.client().getRelease(options.project, version);
      ctx.emit(detail, renderDetail);
    });
}

function renderDetail(detail: ReleaseDetail): string {
  const rows = detail.environments.map(({ environment, deployments }) => {
    const latest = deployments[0];
    if (!latest) return [environment, NONE, NONE, NONE, NONE, NONE, "0"];
    return [
      environment,
      latest.status,
      latest.id,
      latest.kind,
      relativeTime(latest.createdAt),
      elapsed(latest.startedAt, latest.finishedAt),
      String(deployments.length),
    ];
  });
  const table = formatTable(["ENVIRONMENT", "STATUS", "DEPLOYMENT", "KIND", "CREATED", "DURATION", "ATTEMPTS"], rows);
  return `${releaseFields(detail)}\n\n${table}`;
}
