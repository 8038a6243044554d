import { createReadStream } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import type { ReportsService } from "../../reports/reports.service.ts";

/**
 * `reports: {kind: integration, paths: ["reports/*.xml"]}` on a step: after the step ends, the files it wrote are
 * uploaded as one report run of that kind on the release's commit, so gates and approval pages of the next
 * environment see them (e.g. `tests_pass` with `kinds: [integration]`).
 */

export interface StepReportsSpec {
  kind: string;
  paths: string[];
}

export interface AttachInput {
  projectSlug: string;
  commitSha: string;
  branch: string;
  deploymentId: string;
  stepName: string;
  reports: StepReportsSpec;
  /** Where relative paths start: the step's `cwd`, else the server's working directory. */
  cwd: string | undefined;
}

const MAX_FILES = 200;

export function createStepReports(deps: { reports: Pick<ReportsService, "create" | "upload" | "complete"> }) {
  /** Returns a line for the deployment log. */
  return async function attachStepReports(input: AttachInput): Promise<string> {
    const base = resolve(input.cwd ?? ".");
    const files = (await Promise.all(input.reports.paths.map((pattern) => expand(base, pattern)))).flat();
    const unique = [...new Set(files)].slice(0, MAX_FILES);
    if (unique.length === 0) {
      return `step "${input.stepName}" declared ${input.reports.kind} reports (${input.reports.paths.join(", ")}), but no file matched in ${base}`;
    }
    const run = await deps.reports.create(
      input.projectSlug,
      {
        commitSha: input.commitSha,
        branch: input.branch,
        kind: input.reports.kind,
        ci: { provider: "stagegate", job: `${input.deploymentId}/${input.stepName}` },
      },
      "system",
    );
    for (const file of unique) {
      await deps.reports.upload(run.id, {
        name: relative(base, file).split(sep).join("/"),
        format: "auto",
        gzip: file.endsWith(".gz"),
        body: createReadStream(file),
      });
    }
    const done = await deps.reports.complete(run.id);
    const tests = done.summary?.tests;
    const counts = tests ? `: ${tests.total} tests, ${tests.failed + tests.errored} failed, ${tests.skipped} skipped` : "";
    return `attached ${unique.length} ${input.reports.kind} report file(s) to commit ${input.commitSha.slice(0, 12)} as run ${run.id}${counts}`;
  };
}

/** A small glob: `*` and `?` within a segment, `**` for any depth; no braces. Absolute patterns are allowed. */
export async function expand(base: string, pattern: string): Promise<string[]> {
  const start = isAbsolute(pattern) ? sep : base;
  const segments = pattern.split(/[\\/]+/).filter((segment) => segment !== "" && segment !== ".");
  const found: string[] = [];
  await walk(start, segments, found);
  return found.sort();
}

async function walk(dir: string, segments: string[], found: string[]): Promise<void> {
  const [head, ...rest] = segments;
  if (head === undefined) return;
  if (head === "**") {
    await walk(dir, rest, found);
    for (const entry of await entries(dir)) if (entry.isDirectory()) await walk(join(dir, entry.name), segments, found);
    return;
  }
  if (!/[*?]/.test(head)) {
    const path = join(dir, head);
    if (rest.length === 0) {
      if ((await stat(path).catch(() => undefined))?.isFile()) found.push(path);
    } else await walk(path, rest, found);
    return;
  }
  const matcher = new RegExp(
    `^${head
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replaceAll("*", "[^/]*")
      .replaceAll("?", "[^/]")}$`,
  );
  for (const entry of await entries(dir)) {
    if (!matcher.test(entry.name)) continue;
    const path = join(dir, entry.name);
    if (rest.length === 0) {
      if (entry.isFile()) found.push(path);
    } else if (entry.isDirectory()) await walk(path, rest, found);
  }
}

async function entries(dir: string) {
  return readdir(dir, { withFileTypes: true }).catch(() => []);
}
