import { writeFileSync } from "node:fs";
import { type Command, Option } from "commander";
import type { Flag, FlagChange, FlagSetVersion, StaleFlag } from "../../shared/flags/flags.api.ts";
import type { CliContext } from "../context.ts";
import { cursorOption, examples, integerIn, limitOption, projectOption } from "../options.ts";
import { formatFields, formatTable, NONE, relativeTime } from "../output.ts";
import { morePages } from "../render.ts";
import { flagsClient } from "./flag-client.ts";

const envOption = () => new Option("-e, --env <environment>", "environment").makeOptionMandatory();

/** One line per environment: on/off, what it serves. */
export function renderFlag(flag: Flag): string {
  const fields = formatFields([
    ["Key", flag.key],
    ["Type", flag.type],
    ["Description", flag.description || NONE],
    ["Owner", flag.owner ?? NONE],
    [
      "Variants",
      Object.entries(flag.variants)
        .map(([name, value]) => `${name}=${JSON.stringify(value)}`)
        .join(" "),
    ],
  ]);
  const rows = Object.entries(flag.environments).map(([env, state]) => [
    env,
    state.enabled ? "on" : "off",
    serves(state),
    String(state.rules.length),
    relativeTime(state.updatedAt),
    state.updatedBy ?? NONE,
  ]);
  return `${fields}\n\n${formatTable(["ENVIRONMENT", "STATE", "SERVES", "RULES", "CHANGED", "BY"], rows)}`;
}

function serves(state: Flag["environments"][string]): string {
  if (!state.enabled) return state.offVariant;
  if (state.rollout) return state.rollout.weights.map((w) => `${w.variant} ${w.weight}%`).join(" / ");
  return state.defaultVariant;
}

export function renderChanges(changes: FlagChange[]): string {
  if (changes.length === 0) return "no changes";
  return changes
    .map((change) => {
      const sign = change.change === "added" ? "+" : change.change === "removed" ? "-" : "~";
      const fields = Object.entries(change.fields).map(
        ([field, { before, after }]) => `    ${field}: ${JSON.stringify(before)} → ${JSON.stringify(after)}`,
      );
      return [`${sign} ${change.flag}`, ...fields].join("\n");
    })
    .join("\n");
}

export function registerFlagReadCommands(flag: Command, ctx: CliContext): void {
  flag
    .command("get")
    .description("a flag and its state in every environment")
    .argument("<key>", "flag key")
    .addOption(projectOption())
    .addHelpText("after", examples("stagegate flag get -p demo new-checkout"))
    .action(async (key: string, options: { project: string }) => {
      ctx.emit(await flagsClient(ctx).getFlag(options.project, key), renderFlag);
    });

  flag
    .command("list")
    .description("flags of a project, by key")
    .addOption(projectOption())
    .addOption(limitOption(50))
    .addOption(cursorOption())
    .addHelpText("after", examples("stagegate flag list -p demo", "stagegate flag list -p demo -o json"))
    .action(async (options: { project: string; limit: number; cursor?: string }) => {
      const page = await flagsClient(ctx).listFlags(options.project, {
        limit: options.limit,
        ...(options.cursor ? { cursor: options.cursor } : {}),
      });
      const envs = Object.keys(page.items[0]?.environments ?? {});
      ctx.emit(page, (p) =>
        formatTable(
          ["KEY", "TYPE", ...envs.map((e) => e.toUpperCase())],
          p.items.map((f) => [f.key, f.type, ...envs.map((e) => (f.environments[e] ? serves(f.environments[e]) : NONE))]),
        ),
      );
      const more = morePages(`stagegate flag list -p ${options.project}`, page.nextCursor);
      if (more && !ctx.json) ctx.note(more);
    });

  flag
    .command("history")
    .description("flag-set versions of an environment, newest first: who, when, why, what changed")
    .addOption(projectOption())
    .addOption(envOption())
    .addOption(limitOption(20))
    .addOption(cursorOption())
    .addHelpText("after", examples("stagegate flag history -p demo -e live"))
    .action(async (options: { project: string; env: string; limit: number; cursor?: string }) => {
      const page = await flagsClient(ctx).flagHistory(options.project, options.env, {
        limit: options.limit,
        ...(options.cursor ? { cursor: options.cursor } : {}),
      });
      ctx.emit(page, (p) => p.items.map(renderVersion).join("\n\n") || "no versions");
    });

  flag
    .command("diff")
    .description("what `flag promote` would change: flag configuration of one environment against another")
    .addOption(projectOption())
    .requiredOption("--from <environment>", "source environment")
    .requiredOption("--to <environment>", "target environment")
    .argument("[keys...]", "only these flags")
    .addHelpText("after", examples("stagegate flag diff -p demo --from quant_stg --to live"))
    .action(async (keys: string[], options: { project: string; from: string; to: string }) => {
      const result = await flagsClient(ctx).promoteFlags(options.project, {
        from: options.from,
        to: options.to,
        dryRun: true,
        ...(keys.length > 0 ? { keys } : {}),
      });
      ctx.emit(result, (r) => renderChanges(r.changes));
    });

  flag
    .command("stale")
    .description("flags unchanged and fully on or off, or not evaluated, for N days")
    .addOption(projectOption())
    .addOption(new Option("--days <n>", "days").argParser(integerIn(0, 3650)).default(30))
    .addHelpText("after", examples("stagegate flag stale -p demo --days 60"))
    .action(async (options: { project: string; days: number }) => {
      const result = await flagsClient(ctx).staleFlags(options.project, options.days);
      ctx.emit(result, (r) =>
        r.items.length === 0
          ? "no stale flags"
          : formatTable(
              ["KEY", "ENVIRONMENT", "STATE", "UNCHANGED SINCE", "LAST EVALUATED"],
              r.items.map((s: StaleFlag) => [
                s.key,
                s.environment,
                s.state,
                relativeTime(s.unchangedSince),
                relativeTime(s.lastEvaluatedAt),
              ]),
            ),
      );
    });

  flag
    .command("snapshot")
    .description("download an environment's whole flag set (pin a version for a batch run: FlagClient snapshotFile)")
    .addOption(projectOption())
    .addOption(envOption())
    .addOption(new Option("--version <n>", "flag-set version (default: current)").argParser(integerIn(1, 2 ** 31)))
    .addOption(new Option("-f, --file <path>", "write it here instead of stdout"))
    .addHelpText("after", examples("stagegate flag snapshot -p demo -e live --version 12 -f flags.json"))
    .action(async (options: { project: string; env: string; version?: number; file?: string }) => {
      const set = await flagsClient(ctx).flagSnapshot(options.project, options.env, options.version);
      if (!options.file) return ctx.out(JSON.stringify(set, null, 2));
      writeFileSync(options.file, JSON.stringify(set));
      ctx.note(`wrote version ${set.version} of ${set.environment} (${Object.keys(set.flags).length} flags) to ${options.file}`);
    });
}

function renderVersion(version: FlagSetVersion): string {
  const head = `version ${version.version}  ${relativeTime(version.createdAt)}  by ${version.actor}${version.reason ? `  — ${version.reason}` : ""}`;
  return `${head}\n${renderChanges(version.changes)
    .split("\n")
    .map((line) => `  ${line}`)
    .join("\n")}`;
}
