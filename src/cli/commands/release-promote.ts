import type { Command } from "commander";
import type { CliContext } from "../context.ts";
import { examples, projectOption } from "../options.ts";
import { deploymentStarted } from "../render.ts";
import { waitForDeployment } from "../wait.ts";

interface PromoteOptions {
  project: string;
  to: string;
  wait: boolean;
  idempotencyKey?: string;
}

export function registerPromote(program: Command, ctx: CliContext): void {
  program
    .command("promote")
    .description("deploy a release to an environment (after it succeeded in the environment it requires)")
    .argument("<version>", "release version")
    .addOption(projectOption())
    .requiredOption("--to <env>", "target environment")
    .option("--wait", "follow the deployment log until it ends; exit 1 unless it succeeded", false)
    .option("--idempotency-key <key>", "makes a retried promote return the first deployment instead of a new one")
    .addHelpText(
      "after",
      examples("stagegate promote -p demo 1.4.0 --to quant_stg", "stagegate promote -p demo 1.4.0 --to live --wait"),
    )
    .action(async (version: string, options: PromoteOptions) => {
      const { deployment, created } = await ctx
        .client()
        .promote(options.project, version, options.to, options.idempotencyKey ? { idempotencyKey: options.idempotencyKey } : {});
      if (!created) ctx.note(`${version} was already promoted to ${options.to}; showing that deployment, no new one was made`);
      if (options.wait) return waitForDeployment(ctx, deployment);
      ctx.emit(deployment, deploymentStarted);
    });
}
