import { readFileSync } from "node:fs";
import { type Command, InvalidArgumentError, Option } from "commander";
import { errorMessage } from "../../shared/errors.ts";
import type { CreateFlagBody, Flag, FlagChangeRequest, SetFlagStateBody } from "../../shared/flags/flags.api.ts";
import type { FlagType } from "../../shared/flags/flags.types.ts";
import type { CliContext } from "../context.ts";
import { UsageError } from "../errors.ts";
import { examples, projectOption } from "../options.ts";
import { formatFields } from "../output.ts";
import { atOption, isChangeRequest, renderChangeRequest } from "./flag-changes.ts";
import { flagsClient } from "./flag-client.ts";
import { renderChanges, renderFlag } from "./flag-read.ts";

/** A flag, or the change request the server made of the change (scheduled with --at, or waiting for approval). */
function renderOutcome(result: Flag | FlagChangeRequest): string {
  return isChangeRequest(result) ? renderChangeRequest(result) : renderFlag(result);
}

const envOption = () => new Option("-e, --env <environment>", "environment").makeOptionMandatory();
const reasonOption = () => new Option("-m, --reason <text>", "why: kept in the flag-set version and the audit log");

/** `name=value` pairs; values are JSON when they parse (true, 3, {"a":1}), else strings. */
function variantPair(value: string, previous: Record<string, unknown> = {}): Record<string, unknown> {
  const at = value.indexOf("=");
  if (at <= 0) throw new InvalidArgumentError("expected name=value, e.g. on=true");
  const raw = value.slice(at + 1);
  let parsed: unknown = raw;
  try {
    parsed = JSON.parse(raw);
  } catch {
    // a plain string variant
  }
  return { ...previous, [value.slice(0, at)]: parsed };
}

function percentage(value: string): number {
  const number = Number(value.replace(/%$/, ""));
  if (!Number.isFinite(number) || number < 0 || number > 100)
    throw new InvalidArgumentError("expected a percentage from 0 to 100.");
  return number;
}

function readJsonFile<T>(file: string, what: string): T {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as T;
  } catch (error) {
    throw new UsageError(`cannot read ${what} from ${file}: ${errorMessage(error)}`, {
      cause: error,
    });
  }
}

export function registerFlagWriteCommands(flag: Command, ctx: CliContext): void {
  flag
    .command("create")
    .description("create a flag (off in every environment)")
    .argument("<key>", "flag key")
    .addOption(projectOption())
    .addOption(new Option("--type <type>", "value type").choices(["boolean", "string", "number", "object"]).default("boolean"))
    .addOption(
      new Option("--variant <name=value...>", "a variant (repeat); default for boolean: on=true off=false").argParser(
        variantPair,
      ),
    )
    .option("--default <variant>", "variant served when on (default: the first)")
    .option("--off <variant>", "variant served when off (default: `off`, else the default)")
    .option("--description <text>", "what the flag is for")
    .addHelpText(
      "after",
      examples(
        "stagegate flag create -p demo new-checkout",
        "stagegate flag create -p demo scorer --type string --variant v1=scorer-v1 --variant v2=scorer-v2",
      ),
    )
    .action(
      async (
        key: string,
        options: {
          project: string;
          type: FlagType;
          variant?: Record<string, unknown>;
          default?: string;
          off?: string;
          description?: string;
        },
      ) => {
        const variants = options.variant ?? (options.type === "boolean" ? { on: true, off: false } : undefined);
        if (!variants) throw new UsageError(`a ${options.type} flag needs --variant name=value (at least one)`);
        const created = await flagsClient(ctx).createFlag(options.project, {
          key,
          type: options.type,
          variants: variants as CreateFlagBody["variants"],
          ...(options.default ? { defaultVariant: options.default } : {}),
          ...(options.off ? { offVariant: options.off } : {}),
          ...(options.description ? { description: options.description } : {}),
        });
        ctx.emit(created, renderFlag);
      },
    );

  flag
    .command("set")
    .description("set a flag's state in one environment: served variants, targeting rules, rollout")
    .argument("<key>", "flag key")
    .addOption(projectOption())
    .addOption(envOption())
    .option("--default <variant>", "variant served when on and no rule matches")
    .option("--off <variant>", "variant served when off")
    .option("--rules-file <path>", "JSON array of targeting rules (replaces the current rules)")
    .option("--rollout-file <path>", "JSON rollout { bucketBy?, weights: [{variant, weight}] }, or null")
    .addOption(reasonOption())
    .addOption(atOption())
    .addHelpText(
      "after",
      examples(
        "stagegate flag set -p demo -e quant_stg scorer --default v2 -m 'v2 for everyone'",
        "stagegate flag set -p demo -e live scorer --rules-file rules.json",
        "stagegate flag set -p demo -e live scorer --default v2 --at 2026-12-24T06:00:00Z",
      ),
    )
    .action(
      async (
        key: string,
        options: {
          project: string;
          env: string;
          default?: string;
          off?: string;
          rulesFile?: string;
          rolloutFile?: string;
          reason?: string;
          at?: string;
        },
      ) => {
        const body: SetFlagStateBody = {
          ...(options.default ? { defaultVariant: options.default } : {}),
          ...(options.off ? { offVariant: options.off } : {}),
          ...(options.rulesFile
            ? { rules: readJsonFile<NonNullable<SetFlagStateBody["rules"]>>(options.rulesFile, "rules") }
            : {}),
          ...(options.rolloutFile
            ? { rollout: readJsonFile<SetFlagStateBody["rollout"]>(options.rolloutFile, "the rollout") }
            : {}),
          ...(options.reason ? { reason: options.reason } : {}),
        };
        if (Object.keys(body).length === 0)
          throw new UsageError("nothing to set: give --default, --off, --rules-file or --rollout-file");
        const result = await flagsClient(ctx).setFlagState(options.project, options.env, key, {
          ...body,
          ...(options.at ? { scheduleAt: options.at } : {}),
        });
        ctx.emit(result, renderOutcome);
      },
    );

  for (const [verb, enabled] of [
    ["enable", true],
    ["disable", false],
  ] as const) {
    flag
      .command(verb)
      .description(enabled ? "turn a flag on in one environment" : "turn a flag off in one environment (kill switch)")
      .argument("<key>", "flag key")
      .addOption(projectOption())
      .addOption(envOption())
      .addOption(reasonOption())
      .addOption(atOption())
      .addHelpText("after", examples(`stagegate flag ${verb} -p demo -e live new-checkout -m "incident 42"`))
      .action(async (key: string, options: { project: string; env: string; reason?: string; at?: string }) => {
        const result = await flagsClient(ctx).enableFlag(options.project, options.env, key, enabled, {
          reason: options.reason,
          scheduleAt: options.at,
        });
        ctx.emit(result, renderOutcome);
      });
  }

  flag
    .command("rollout")
    .description("serve a variant to a percentage of targeting keys (sticky) and turn the flag on")
    .argument("<key>", "flag key")
    .argument("<percentage>", "0-100, at most two decimals", percentage)
    .addOption(projectOption())
    .addOption(envOption())
    .option("--variant <name>", "variant rolled out (default: on)")
    .option("--bucket-by <attribute>", "context attribute hashed for the bucket (default: targetingKey)")
    .addOption(reasonOption())
    .addOption(atOption())
    .addHelpText(
      "after",
      examples(
        "stagegate flag rollout -p demo -e quant_stg new-checkout 10",
        "stagegate flag rollout -p demo -e live scorer 25 --variant v2 --bucket-by runId",
      ),
    )
    .action(
      async (
        key: string,
        share: number,
        options: { project: string; env: string; variant?: string; bucketBy?: string; reason?: string; at?: string },
      ) => {
        const result = await flagsClient(ctx).rolloutFlag(options.project, options.env, key, {
          percentage: share,
          ...(options.variant ? { variant: options.variant } : {}),
          ...(options.bucketBy ? { bucketBy: options.bucketBy } : {}),
          ...(options.reason ? { reason: options.reason } : {}),
          ...(options.at ? { scheduleAt: options.at } : {}),
        });
        ctx.emit(result, renderOutcome);
      },
    );

  flag
    .command("promote")
    .description("copy flag configuration from one environment to another; prints the diff first")
    .argument("[keys...]", "only these flags (default: all)")
    .addOption(projectOption())
    .requiredOption("--from <environment>", "source environment")
    .requiredOption("--to <environment>", "target environment")
    .option("--dry-run", "only show the diff")
    .addOption(reasonOption())
    .addOption(atOption())
    .addHelpText(
      "after",
      examples(
        "stagegate flag promote -p demo --from quant_stg --to live",
        "stagegate flag promote -p demo --from quant_stg --to live new-checkout --dry-run",
      ),
    )
    .action(
      async (
        keys: string[],
        options: { project: string; from: string; to: string; dryRun?: boolean; reason?: string; at?: string },
      ) => {
        const client = flagsClient(ctx);
        const body = {
          from: options.from,
          to: options.to,
          ...(keys.length > 0 ? { keys } : {}),
          ...(options.reason ? { reason: options.reason } : {}),
        };
        const preview = await client.promoteFlags(options.project, { ...body, dryRun: true });
        if (!ctx.json) ctx.note(renderChanges(preview.changes));
        if (options.dryRun || preview.changes.length === 0)
          return ctx.emit(preview, () => (preview.changes.length === 0 ? "nothing to promote" : "dry run: nothing changed"));
        const result = await client.promoteFlags(options.project, { ...body, ...(options.at ? { scheduleAt: options.at } : {}) });
        ctx.emit(result, (r) =>
          r.changeRequest
            ? `promotion of ${r.changes.length} flag(s) to ${r.to} is change ${r.changeRequest}: scheduled or waiting for approval (stagegate flag changes -p ${options.project})`
            : `promoted ${r.changes.length} flag(s) from ${r.from} to ${r.to}: ${r.to} is now at version ${r.version}`,
        );
      },
    );

  flag
    .command("restore")
    .description("restore an environment's flags to an earlier version (rollback), as a new version")
    .addOption(projectOption())
    .addOption(envOption())
    .requiredOption("--version <n>", "the version to restore", (v) => Number.parseInt(v, 10))
    .addOption(reasonOption())
    .addOption(atOption())
    .addHelpText("after", examples("stagegate flag restore -p demo -e live --version 12 -m 'roll back 1.4.0'"))
    .action(async (options: { project: string; env: string; version: number; reason?: string; at?: string }) => {
      const result = await flagsClient(ctx).restoreFlags(options.project, options.env, options.version, {
        reason: options.reason,
        scheduleAt: options.at,
      });
      ctx.emit(result, (v) =>
        isChangeRequest(v)
          ? renderChangeRequest(v)
          : `${options.env} restored to version ${options.version}: now version ${v.version}\n${renderChanges(v.changes)}`,
      );
    });

  flag
    .command("sdk-key")
    .description("create an SDK key for OFREP and the SDKs in one environment (shown once)")
    .addOption(projectOption())
    .addOption(envOption())
    .requiredOption("--name <name>", "what uses it")
    .addHelpText("after", examples("stagegate flag sdk-key -p demo -e live --name checkout-service"))
    .action(async (options: { project: string; env: string; name: string }) => {
      const key = await flagsClient(ctx).createSdkKey(options.project, options.env, options.name);
      ctx.emit(key, (k) =>
        formatFields([
          ["Id", k.id],
          ["Environment", k.environment],
          ["Key", k.key],
          ["Note", "shown once: store it now"],
        ]),
      );
    });
}
