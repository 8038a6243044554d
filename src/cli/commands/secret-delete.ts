import type { Command } from "commander";
import type { CliContext } from "../context.ts";
import { examples, projectOption } from "../options.ts";
import { secretsApi } from "./secret-api.ts";

export function registerSecretDelete(secret: Command, ctx: CliContext): void {
  secret
    .command("delete")
    .description("delete a secret; steps that use it fail (errored) until it is set again")
    .argument("<name>", "secret name")
    .addOption(projectOption())
    .option("--env <environment>", "delete that environment's value instead of the project-wide one")
    .addHelpText("after", examples("stagegate secret delete -p transcripts OLD_TOKEN"))
    .action(async (name: string, options: { project: string; env?: string }) => {
      await secretsApi(ctx).remove(options.project, name, options.env);
      ctx.emit(
        { name, environment: options.env ?? null, deleted: true },
        () => `deleted ${name}${options.env ? ` for ${options.env}` : ""}`,
      );
    });
}
