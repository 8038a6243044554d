import type { Command } from "commander";
import type { ApprovalState } from "../../sdk/approvals.ts";
import { approvalOutcome } from "../approval-render.ts";
import type { CliContext } from "../context.ts";
import { UsageError } from "../errors.ts";
import { examples } from "../options.ts";

interface ApproveOptions {
  project?: string;
  env?: string[];
  comment?: string;
}

export function registerApprove(program: Command, ctx: CliContext): void {
  program
    .command("approve")
    .description("approve a deployment waiting for approval, or with -p a release waiting in one or more environments")
    .argument("<deployment-id|version>", "the deployment to approve; with -p, the release version")
    .option("-p, --project <slug>", "approve a release of this project (then give --env)")
    .option("--env <env>", "with -p: an environment the release waits in (repeat for several)", collect)
    .option("--comment <text>", "why, recorded with the approval")
    .addHelpText(
      "after",
      `
The last approval a group needs queues the deployment. Approving a release you
created or promoted is refused (exit 1) unless the environment allows it.
${examples(
  "stagegate approve dep_01jd7x3k2m",
  'stagegate approve dep_01jd7x3k2m --comment "integration report looks good"',
  "stagegate approve -p demo 1.4.0 --env live_eu --env live_us",
)}`,
    )
    .action(async (target: string, options: ApproveOptions) => {
      // The server approves one environment after the other: asking twice would fail on the second as already decided.
      const environments = [...new Set(options.env ?? [])];
      const comment = options.comment === undefined ? {} : { comment: options.comment };
      if (options.project === undefined) {
        if (environments.length > 0) {
          throw new UsageError("--env approves a release: add -p <project> and give the release version, not a deployment id");
        }
        const state = await ctx.client().approveDeployment(target, comment);
        return ctx.emit(state, (s) => `approved deployment ${s.deploymentId}: ${approvalOutcome(s)}`);
      }
      if (environments.length === 0) {
        throw new UsageError(`approving release ${target} needs the environments it waits in: --env <env> (repeat for several)`);
      }
      const result = await ctx.client().approveRelease(options.project, target, { environments, ...comment });
      ctx.emit(result, ({ items }) => items.map((state, index) => releaseLine(target, environments[index], state)).join("\n"));
    });
}

function releaseLine(version: string, environment: string | undefined, state: ApprovalState): string {
  return `approved ${version} in ${environment ?? "?"} (deployment ${state.deploymentId}): ${approvalOutcome(state)}`;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
