import { createHash } from "node:crypto";
import { stat } from "node:fs/promises";
import { basename, dirname, relative, resolve, sep } from "node:path";
import { expandGlob } from "./glob.ts";

export interface ReportFileToUpload {
  /** As matched, relative to the working directory when the pattern was. */
  path: string;
  /** The name in the run (a file of the same name in a run replaces the earlier one). */
  name: string;
  bytes: number;
}

/**
 * Expands the file arguments (paths or globs) into distinct files with their sizes and upload names. `unmatched`
 * lists the patterns that found nothing, so a report missing after a crashed test step is a warning, not a stop.
 */
export async function collectReportFiles(
  patterns: string[],
  cwd: string,
): Promise<{ files: ReportFileToUpload[]; unmatched: string[] }> {
  const seen = new Set<string>();
  const paths: string[] = [];
  const unmatched: string[] = [];
  for (const pattern of patterns) {
    const matched = await expandGlob(pattern, cwd);
    if (matched.length === 0) unmatched.push(pattern);
    for (const path of matched) {
      const absolute = resolve(cwd, path);
      if (seen.has(absolute)) continue;
      seen.add(absolute);
      paths.push(path);
    }
  }
  const names = uploadNames(paths, cwd);
  const files = await Promise.all(
    paths.map(async (path) => ({ path, name: names.get(path) ?? basename(path), bytes: (await stat(resolve(cwd, path))).size })),
  );
  return { files, unmatched };
}

/**
 * The name each file gets in the run: its base name (`junit.xml`), unless two files share one — then each of those
 * is prefixed with the first 8 hex digits of the SHA-256 of its directory relative to `cwd`, with `/` separators
 * (`3f2a9c1d-junit.xml`), which names it the same way on every run from the same working directory.
 */
export function uploadNames(paths: readonly string[], cwd: string): Map<string, string> {
  const byBase = new Map<string, number>();
  for (const path of paths) byBase.set(basename(path), (byBase.get(basename(path)) ?? 0) + 1);
  return new Map(
    paths.map((path) => {
      const base = basename(path);
      if ((byBase.get(base) ?? 0) < 2) return [path, base];
      const dir = relative(cwd, dirname(resolve(cwd, path)))
        .split(sep)
        .join("/");
      return [path, `${createHash("sha256").update(dir).digest("hex").slice(0, 8)}-${base}`];
    }),
  );
}
