import { spawn } from "node:child_process";
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { errorMessage } from "../shared/errors.ts";
import type { PatchDiff } from "../shared/reports.api.ts";
import { DiffParser } from "./diff.ts";
import { UsageError } from "./errors.ts";

async function parseLines(input: Readable): Promise<PatchDiff> {
  const parser = new DiffParser();
  for await (const line of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) parser.push(line);
  return parser.result();
}

/** `--diff <file>`: a unified diff read line by line. */
export async function readDiffFile(file: string): Promise<PatchDiff> {
  try {
    return await parseLines(createReadStream(file));
  } catch (error) {
    const reason = errorMessage(error);
    throw new UsageError(`cannot read the diff ${file}: ${reason}`, { cause: error });
  }
}

/**
 * `--base <sha>` without `--diff`: what HEAD changed since it forked from `base`, from `git diff <base>...HEAD`.
 * The options pin the output format whatever the user's git config says (no colour, a/ b/ prefixes, raw UTF-8 names).
 * Rejects with git's own message (a shallow clone lacking the base, not a repository, no git).
 */
export async function gitDiff(base: string, cwd: string): Promise<PatchDiff> {
  const args = [
    "-c",
    "core.quotepath=off",
    "diff",
    "--unified=0",
    "--no-color",
    "--no-ext-diff",
    "--src-prefix=a/",
    "--dst-prefix=b/",
  ];
  const child = spawn("git", [...args, `${base}...HEAD`, "--"], { cwd, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (text: string) => {
    if (stderr.length < 4000) stderr += text;
  });
  const exited = new Promise<number>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => resolve(code ?? 1));
  });
  // Attach the handlers before reading, so a missing git binary rejects here rather than as an unhandled error.
  const [diff, code] = await Promise.all([parseLines(child.stdout), exited]);
  if (code !== 0) throw new Error(stderr.trim().split("\n")[0] || `git diff exited with code ${code}`);
  return diff;
}
