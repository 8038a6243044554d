import type { Command } from "commander";
import { approvalDetail } from "../approval-render.ts";
import type { CliContext } from "../context.ts";
import { examples } from "../options.ts";

export function registerApprovalsGet(approvals: Command, ctx: CliContext): void {
  approvals
    .command("get")
    .description("a deployment's approval: groups and who approved, decisions with comments, expiry")
    .argument("<deployment-id>", "deployment id")
    .addHelpText("after", examples("stagegate approvals get dep_01jd7x3k2m", "stagegate approvals get dep_01jd7x3k2m -o json"))
    .action(async (id: string) => {
      const client = ctx.client();
      const state = await client.getApproval(id);
      // The approval state names no release or environment: the table takes them from the deployment.
      const deployment = ctx.json ? undefined : await client.getDeployment(id);
      ctx.emit(state, (s) => approvalDetail(s, deployment));
    });
}
