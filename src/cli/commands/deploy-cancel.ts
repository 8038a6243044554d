import type { Command } from "commander";
import type { Deployment } from "../../shared/api.ts";
import type { CliContext } from "../context.ts";
import { examples } from "../options.ts";
import { deploymentSummary, isTerminal } from "../render.ts";

export function registerDeployCancel(deploy: Command, ctx: CliContext): void {
  deploy
    .command("cancel")
    .description("cancel a deployment that has not finished (its running step is asked to stop)")
    .argument("<id>", "deployment id")
    .addHelpText("after", examples("stagegate deploy cancel dep_01jd7x3k2m"))
    .action(async (id: string) => {
      ctx.emit(await ctx.client().cancelDeployment(id), renderCancelled);
    });
}

/** A waiting deployment ends at once; a running one still says `running` until its runner has stopped the step. */
function renderCancelled(deployment: Deployment): string {
  const summary = deploymentSummary(deployment);
  if (isTerminal(deployment.status)) return summary;
  return `${summary}\ncancel requested: the running step is being stopped. follow it: stagegate deploy log ${deployment.id} --follow`;
}
