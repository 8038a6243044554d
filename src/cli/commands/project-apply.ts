import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import type { Command } from "commander";
import { parse } from "yaml";
import type { ApplyConfigResult } from "../../shared/api.ts";
import { errorMessage } from "../../shared/errors.ts";
import type { CliContext } from "../context.ts";
import { UsageError } from "../errors.ts";
import { examples } from "../options.ts";
import { formatTable } from "../output.ts";

interface ApplyOptions {
  file: string;
  project?: string;
  prune: boolean;
}

export function registerProjectApply(project: Command, ctx: CliContext): void {
  project
    .command("apply")
    .description("create or update a project and its environments from a stagegate.yaml (idempotent)")
    .option("-f, --file <path>", "config file, YAML or JSON", "stagegate.yaml")
    .option("-p, --project <slug>", "project slug (default: the file's project: key)")
    .option("--prune", "delete environments that the file no longer lists", false)
    .addHelpText(
      "after",
      examples("stagegate project apply -f stagegate.yaml", "stagegate project apply -f deploy/stagegate.yaml --prune -o json"),
    )
    .action(async (options: ApplyOptions) => {
      const text = await readConfig(options.file);
      const slug = options.project ?? projectKeyOf(text, options.file);
      const contentType = extname(options.file).toLowerCase() === ".json" ? "application/json" : "application/yaml";
      const result = await ctx.client().applyConfig(slug, text, { contentType, prune: options.prune });
      ctx.emit(result, renderResult);
    });
}

async function readConfig(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    const reason = errorMessage(error);
    throw new UsageError(`cannot read ${file}: ${reason}`, { cause: error });
  }
}

function projectKeyOf(text: string, file: string): string {
  let document: unknown;
  try {
    document = parse(text);
  } catch (error) {
    const reason = errorMessage(error);
    throw new UsageError(`${file} is not valid YAML or JSON: ${reason}`, { cause: error });
  }
  const slug = typeof document === "object" && document !== null && "project" in document ? document.project : undefined;
  if (typeof slug !== "string" || slug === "") {
    throw new UsageError(`${file} has no "project:" key; add one (the project slug) or pass -p <slug>`);
  }
  return slug;
}

function renderResult(result: ApplyConfigResult): string {
  const changed = result.changes.filter((change) => change.change !== "unchanged").length;
  const headline = result.changed
    ? `project ${result.project.slug} applied: ${changed} environment${changed === 1 ? "" : "s"} changed`
    : `project ${result.project.slug} is up to date: nothing changed`;
  if (result.changes.length === 0) return headline;
  const rows = result.changes.map((change) => [change.environment, change.change]);
  return `${headline}\n${formatTable(["ENVIRONMENT", "CHANGE"], rows)}`;
}
