import { azureDataFactoryExecutor } from "./azure-data-factory.executor.ts";
import { type ConfigCheck, validateConfig } from "./config.validation.ts";
import { databricksExecutor } from "./databricks.executor.ts";
import type { Executor } from "./executor.types.ts";
import { githubActionsExecutor } from "./github-actions.executor.ts";
import { gitlabExecutor } from "./gitlab.executor.ts";
import { jenkinsExecutor } from "./jenkins.executor.ts";
import { shellExecutor } from "./shell.executor.ts";
import { webhookExecutor } from "./webhook.executor.ts";

/** Every executor a step's `type:` may name. Adding one: write it, run `executorContract` on it, list it here. */
export const executors: ReadonlyMap<string, Executor> = new Map<string, Executor>(
  (
    [
      shellExecutor,
      webhookExecutor,
      azureDataFactoryExecutor,
      databricksExecutor,
      githubActionsExecutor,
      gitlabExecutor,
      jenkinsExecutor,
    ] as Executor[]
  ).map((executor) => [executor.type, executor]),
);

export function getExecutor(type: string): Executor | undefined {
  return executors.get(type);
}

/** Lets every executor prepare for deploys in this process (the job runner's start). */
export async function warmUpExecutors(): Promise<void> {
  for (const executor of executors.values()) executor.warmUp?.();
}

export function executorTypes(): string[] {
  return [...executors.keys()];
}

/**
 * Checks a step's config where stagegate.yaml declares it and returns it with defaults applied (what the executor
 * will receive). `path` locates the config in the file, e.g. `environments[1].executor.config`.
 */
export function validateExecutorConfig(type: string, config: unknown, path: string): ConfigCheck {
  const executor = getExecutor(type);
  if (!executor) {
    const typePath = path.endsWith(".config") ? `${path.slice(0, -".config".length)}.type` : path;
    const known = executorTypes()
      .map((name) => `"${name}"`)
      .join(", ");
    return {
      ok: false,
      errors: [{ path: typePath, message: `names the unknown executor "${type}"; known executors: ${known}` }],
    };
  }
  return validateConfig(executor.configSchema, config, path);
}
