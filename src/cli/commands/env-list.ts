import type { Command } from "commander";
import type { Environment } from "../../shared/api.ts";
import type { CliContext } from "../context.ts";
import { examples, projectOption } from "../options.ts";
import { formatTable, NONE, relativeTime } from "../output.ts";

export function registerEnvList(env: Command, ctx: CliContext): void {
  env
    .command("list")
    .description("list a project's environments in lifecycle order, with what runs in each")
    .addOption(projectOption())
    .addHelpText("after", examples("stagegate env list -p demo", "stagegate env list -p demo -o json"))
    .action(async (options: { project: string }) => {
      const environments = await ctx.client().listEnvironments(options.project);
      if (!ctx.json && environments.items.length === 0) {
        return ctx.note(`project ${options.project} has no environments; declare them in stagegate.yaml and run project apply`);
      }
      ctx.emit(environments, ({ items }) => renderEnvironments(items));
    });
}

function renderEnvironments(environments: readonly Environment[]): string {
  return formatTable(
    ["#", "NAME", "REQUIRES", "CURRENT", "SINCE", "LAST DEPLOYMENT", "STEPS", "AUTO-DEPLOY"],
    environments.map((env) => [
      String(env.position),
      env.name,
      env.requires ?? NONE,
      env.currentRelease?.version ?? NONE,
      relativeTime(env.currentRelease?.deployedAt),
      env.lastDeployment ? `${env.lastDeployment.release} ${env.lastDeployment.status}` : NONE,
      env.executor.map((step) => `${step.name}:${step.type}`).join(", ") || NONE,
      env.autoDeploy ? `branch ${env.autoDeploy.branch}` : NONE,
    ]),
  );
}
