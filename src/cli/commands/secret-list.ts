import type { Command } from "commander";
import type { CliContext } from "../context.ts";
import { examples, projectOption } from "../options.ts";
import { formatTable, relativeTime } from "../output.ts";
import { secretsApi } from "./secret-api.ts";

export function registerSecretList(secret: Command, ctx: CliContext): void {
  secret
    .command("list")
    .description("list a project's secrets: names, scopes and versions (never the values)")
    .addOption(projectOption())
    .addHelpText("after", examples("stagegate secret list -p transcripts"))
    .action(async (options: { project: string }) => {
      const secrets = await secretsApi(ctx).list(options.project);
      if (!ctx.json && secrets.items.length === 0) return ctx.note(`project ${options.project} has no secrets`);
      ctx.emit(secrets, ({ items }) =>
        formatTable(
          ["NAME", "ENVIRONMENT", "VERSION", "UPDATED", "BY"],
          items.map((s) => [s.name, s.environment ?? "(all)", String(s.version), relativeTime(s.updatedAt), s.updatedBy ?? ""]),
        ),
      );
    });
}
