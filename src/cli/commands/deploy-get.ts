import type { Command } from "commander";
import type { CliContext } from "../context.ts";
import { examples } from "../options.ts";
import { deploymentFields } from "../render.ts";

export function registerDeployGet(deploy: Command, ctx: CliContext): void {
  deploy
    .command("get")
    .description("show one deployment: status, current step, timings")
    .argument("<id>", "deployment id")
    .addHelpText("after", examples("stagegate deploy get dep_01jd7x3k2m", "stagegate deploy get dep_01jd7x3k2m -o json"))
    .action(async (id: string) => {
      ctx.emit(await ctx.client().getDeployment(id), deploymentFields);
    });
}
