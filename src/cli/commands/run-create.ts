import { type Command, InvalidArgumentError } from "commander";
import type { CliContext } from "../context.ts";
import { examples, projectOption } from "../options.ts";
import { runsApi } from "./run-client.ts";

function attribute(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const at = value.indexOf("=");
  if (at <= 0) throw new InvalidArgumentError("expected key=value.");
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) };
}

export function registerRunCreate(run: Command, ctx: CliContext): void {
  run
    .command("create")
    .description("start a pipeline run and print its id and run-scoped ingest token (for workers' logs and metrics)")
    .addOption(projectOption())
    .requiredOption("--name <name>", "job name (runs of one name in one environment are compared)")
    .option("--env <environment>", "environment the job runs in")
    .option("--release <version>", "release the job runs")
    .option("--external-id <id>", "the job's id in its own system (Databricks run id, ADF run id)")
    .option("--attr <key=value>", "an attribute (repeatable)", attribute)
    .addHelpText(
      "after",
      examples(
        "stagegate run create -p demo --name nightly-train --env quant_stg --release 1.4.0",
        "export STAGEGATE_RUN=$(stagegate run create -p demo --name etl -o json | jq -r .id)",
      ),
    )
    .action(
      async (options: {
        project: string;
        name: string;
        env?: string;
        release?: string;
        externalId?: string;
        attr?: Record<string, string>;
      }) => {
        const created = await runsApi(ctx).createRun(options.project, {
          name: options.name,
          ...(options.env ? { environment: options.env } : {}),
          ...(options.release ? { releaseVersion: options.release } : {}),
          ...(options.externalId ? { externalId: options.externalId } : {}),
          ...(options.attr ? { attributes: options.attr } : {}),
        });
        ctx.emit(created, (r) =>
          [
            `run ${r.id} (${r.name}${r.environment ? ` in ${r.environment}` : ""}) ${r.status}`,
            `ingest token (shown once): ${r.ingestToken ?? ""}`,
            `send logs:  POST /api/v1/runs/${r.id}/logs (NDJSON) or OTLP /v1/logs with resource attribute stagegate.run.id=${r.id}`,
          ].join("\n"),
        );
      },
    );
}
