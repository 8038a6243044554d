import type { Command } from "commander";
import type { CliContext } from "../context.ts";
import { examples } from "../options.ts";
import { deploymentSummary } from "../render.ts";

export function registerDeployCancel(deploy: Command, ctx: CliContext): void {
  deploy
    .command("cancel")
    .description("cancel a deployment that has not finished (its running step is asked to stop)")
    .argument("<id>", "deployment id")
    .addHelpText("after", examples("stagegate deploy cancel dep_01jd7x3k2m"))
    .action(async (id: string) => {
      ctx.emit(await ctx.client().cancelDeployment(id), deploymentSummary);
    });
}
