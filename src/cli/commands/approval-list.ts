import type { Command } from "commander";
import { pendingTable } from "../approval-render.ts";
import type { CliContext } from "../context.ts";
import { examples } from "../options.ts";

export function registerApprovalsList(approvals: Command, ctx: CliContext): void {
  approvals
    .command("list")
    .description("deployments across projects waiting for a decision you may make and have not made yet")
    .addHelpText("after", examples("stagegate approvals list", "stagegate approvals list -o json"))
    .action(async () => {
      const pending = await ctx.client().listPendingApprovals();
      if (!ctx.json && pending.items.length === 0) return ctx.note("nothing is waiting for your approval");
      ctx.emit(pending, ({ items }) => pendingTable(items));
    });
}
