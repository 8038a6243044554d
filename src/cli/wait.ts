import { setTimeout as sleep } from "node:timers/promises";
import type { Deployment } from "../shared/api.ts";
import type { CliContext } from "./context.ts";
import { deploymentSummary, isTerminal } from "./render.ts";

const REFOLLOW_DELAY_MS = 1000;

/**
 * `--wait`: streams the deployment's log until it ends, then prints the outcome and sets exit code 1 unless it
 * succeeded. Ctrl-C stops waiting but leaves the deployment alone — it is not cancelled.
 * The log goes to stdout for tables and to stderr with `-o json`, where stdout holds only the final deployment.
 */
export async function waitForDeployment(ctx: CliContext, deployment: Deployment): Promise<void> {
  const client = ctx.client();
  const interrupt = new AbortController();
  const onSigint = () => interrupt.abort();
  process.once("SIGINT", onSigint);
  ctx.note(`following ${deployment.id} (${deployment.status}); Ctrl-C stops following, the deployment continues`);
  let current = deployment;
  try {
    let printed = 0;
    while (!isTerminal(current.status) && !interrupt.signal.aborted) {
      // The stream ends when the deployment does; if it ends early (a proxy timeout), follow again. Each follow starts
      // at the beginning of the log, so the lines already shown are skipped.
      let seen = 0;
      for await (const line of client.followLog(deployment.id, { signal: interrupt.signal })) {
        seen += 1;
        if (seen <= printed) continue;
        printed = seen;
        if (ctx.json) ctx.note(line);
        else ctx.out(line);
      }
      current = await client.getDeployment(deployment.id);
      if (!isTerminal(current.status) && !interrupt.signal.aborted) {
        await sleep(REFOLLOW_DELAY_MS, undefined, { signal: interrupt.signal }).catch(() => undefined);
      }
    }
  } finally {
    process.removeListener("SIGINT", onSigint);
  }
  if (interrupt.signal.aborted) {
    current = await client.getDeployment(deployment.id);
    ctx.note(`stopped following; not cancelled. resume with: stagegate deploy log ${deployment.id} --follow`);
  }
  ctx.emit(current, deploymentSummary);
  if (current.status !== "succeeded") ctx.exitCode = 1;
}
