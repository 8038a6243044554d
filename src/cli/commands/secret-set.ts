import type { Command } from "commander";
import type { CliContext } from "../context.ts";
import { examples, projectOption } from "../options.ts";
import { readSecretValue, secretsApi } from "./secret-api.ts";

export function registerSecretSet(secret: Command, ctx: CliContext): void {
  secret
    .command("set")
    .description("set a secret (value from stdin) for ${secret:NAME} in executor configs; replaces the old value at once")
    .argument("<name>", "secret name: letters, digits and _")
    .addOption(projectOption())
    .option("--env <environment>", "only for this environment (default: every environment of the project)")
    .addHelpText(
      "after",
      examples(
        "printf '%s' \"$ADF_SECRET\" | stagegate secret set -p transcripts ADF_CLIENT_SECRET",
        "stagegate secret set -p transcripts --env live DATABRICKS_TOKEN < token.txt",
      ),
    )
    .action(async (name: string, options: { project: string; env?: string }) => {
      const value = await readSecretValue(ctx.io.stdin ?? process.stdin);
      const saved = await secretsApi(ctx).set(options.project, name, {
        value,
        ...(options.env === undefined ? {} : { environment: options.env }),
      });
      ctx.emit(saved, (s) => `set ${s.name}${s.environment ? ` for ${s.environment}` : ""} (version ${s.version})`);
    });
}
