import type { Command } from "commander";
import type { ProjectStatus } from "../../shared/api.ts";
import type { CliContext } from "../context.ts";
import { examples, projectOption } from "../options.ts";
import { alignColumns, formatTable, NONE, relativeTime } from "../output.ts";

type StatusCell = ProjectStatus["environments"][number];

export function registerStatus(program: Command, ctx: CliContext): void {
  program
    .command("status")
    .description("what runs where: the current release of every environment and the release × environment matrix")
    .addOption(projectOption())
    .addHelpText("after", examples("stagegate status -p demo", "stagegate status -p demo -o json"))
    .action(async (options: { project: string }) => {
      ctx.emit(await ctx.client().status(options.project), renderStatus);
    });
}

export function renderStatus(status: ProjectStatus): string {
  const environments = status.environments.map((cell) => cell.environment);
  const current = alignColumns(status.environments.map((cell) => [`  ${cell.environment}`, ...describeCurrent(cell)]));
  const matrix =
    status.releases.length === 0
      ? "no releases yet"
      : formatTable(
          ["RELEASE", "CREATED", ...environments],
          status.releases.map((release) => [
            release.version,
            relativeTime(release.createdAt),
            ...environments.map((env) => release.cells.find((cell) => cell.environment === env)?.status ?? NONE),
          ]),
        );
  return `project ${status.project}\n${current}\n\n${matrix}`;
}

/** [current version, since when and by whom, the latest deployment when it is not the current one]. */
function describeCurrent(cell: StatusCell): string[] {
  const { current, last } = cell;
  const since = current ? `since ${relativeTime(current.since)}${current.by ? ` by ${current.by}` : ""}` : "";
  const lastDiffers = last !== null && last.id !== current?.deploymentId;
  const lastNote = lastDiffers ? `last: ${last.release} ${last.status} ${relativeTime(last.finishedAt ?? last.createdAt)}` : "";
  return [current?.version ?? "(nothing deployed)", since, lastNote];
}
