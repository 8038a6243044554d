import type { Command } from "commander";
import type { CliContext } from "../context.ts";
import { UsageError } from "../errors.ts";
import { examples } from "../options.ts";

export function registerReject(program: Command, ctx: CliContext): void {
  program
    .command("reject")
    .description("reject a deployment waiting for approval; it ends as rejected with your comment as its reason")
    .argument("<deployment-id>", "the deployment to reject")
    .requiredOption("--comment <text>", "why (required: it is what the author sees)")
    .addHelpText("after", examples('stagegate reject dep_01jd7x3k2m --comment "integration report shows data loss in orders"'))
    .action(async (id: string, options: { comment: string }) => {
      if (options.comment.trim() === "") throw new UsageError("--comment is empty: say why the deployment is rejected");
      const state = await ctx.client().rejectDeployment(id, options.comment);
      ctx.emit(state, (s) => `rejected deployment ${s.deploymentId}: it is ${s.status} and will not deploy`);
    });
}
