import type { Command } from "commander";
import type { CliContext } from "../context.ts";
import { examples, projectOption } from "../options.ts";
import { deploymentStarted } from "../render.ts";
import { waitForDeployment } from "../wait.ts";

interface RollbackOptions {
  project: string;
  env: string;
  wait: boolean;
}

export function registerRollback(program: Command, ctx: CliContext): void {
  program
    .command("rollback")
    .description("redeploy the release that succeeded in an environment before the current one")
    .addOption(projectOption())
    .requiredOption("--env <env>", "environment to roll back")
    .option("--wait", "follow the deployment log until it ends; exit 1 unless it succeeded", false)
    .addHelpText("after", examples("stagegate rollback -p demo --env live", "stagegate rollback -p demo --env live --wait"))
    .action(async (options: RollbackOptions) => {
      const deployment = await ctx.client().rollback(options.project, options.env);
      if (options.wait) return waitForDeployment(ctx, deployment);
      ctx.emit(deployment, deploymentStarted);
    });
}
