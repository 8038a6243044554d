import { readdir, stat } from "node:fs/promises";
import { resolve } from "node:path";

/**
 * A small glob expander, because `fs.promises.glob` arrived in Node 22 and we support 20. Knows `**` (any number of
 * directories, including none), `*` (any characters but `/`) and `?` (one character but `/`); no braces or classes.
 * Like a shell, wildcards do not match names starting with "." unless the pattern segment does, and `**` does not
 * follow symbolic links to directories (no loops).
 */

const WILDCARD = /[*?]/;

export function hasWildcards(pattern: string): boolean {
  return WILDCARD.test(pattern);
}

/** A pattern segment as a regular expression over one file name. */
export function segmentRegExp(segment: string): RegExp {
  let source = "";
  for (const char of segment) {
    if (char === "*") source += "[^/]*";
    else if (char === "?") source += "[^/]";
    else source += char.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${source}$`, "u");
}

/** Files (not directories) matching `pattern`, relative to `cwd` as the pattern was written; sorted. */
export async function expandGlob(pattern: string, cwd: string): Promise<string[]> {
  const normalized = pattern.replace(/\\/g, "/");
  const segments = normalized.split("/");
  const first = segments.findIndex((segment) => hasWildcards(segment));
  if (first === -1) return (await isFile(resolve(cwd, normalized))) ? [pattern] : [];
  const base = segments.slice(0, first).join("/");
  const found = new Set<string>();
  await walk({ cwd, dir: base === "" && normalized.startsWith("/") ? "/" : base, rest: segments.slice(first), found });
  return [...found].sort();
}

async function walk(state: { cwd: string; dir: string; rest: string[]; found: Set<string> }): Promise<void> {
  const [segment, ...rest] = state.rest;
  if (segment === undefined) return;
  const child = (name: string) => (state.dir === "" ? name : state.dir === "/" ? `/${name}` : `${state.dir}/${name}`);
  if (segment === "" || segment === ".") return walk({ ...state, rest });
  if (!hasWildcards(segment)) {
    const path = child(segment);
    if (rest.length === 0 && (await isFile(resolve(state.cwd, path)))) state.found.add(path);
    if (rest.length > 0 && (await isDirectory(resolve(state.cwd, path)))) await walk({ ...state, dir: path, rest });
    return;
  }
  const entries = await readdir(resolve(state.cwd, state.dir), { withFileTypes: true }).catch(() => []);
  if (segment === "**") {
    // "dir/**" means every file below dir.
    if (rest.length === 0) return walk({ ...state, rest: ["**", "*"] });
    // `**` matching no directory at all: the rest of the pattern applies right here.
    await walk({ ...state, rest });
    for (const entry of entries) {
      if (entry.isDirectory() && !entry.name.startsWith(".")) await walk({ ...state, dir: child(entry.name), rest: state.rest });
    }
    return;
  }
  const matches = segmentRegExp(segment);
  const hidden = segment.startsWith(".");
  for (const entry of entries) {
    if (!matches.test(entry.name) || (entry.name.startsWith(".") && !hidden)) continue;
    const path = child(entry.name);
    if (rest.length === 0) {
      if (entry.isFile() || (entry.isSymbolicLink() && (await isFile(resolve(state.cwd, path))))) state.found.add(path);
    } else if (entry.isDirectory() || (entry.isSymbolicLink() && (await isDirectory(resolve(state.cwd, path))))) {
      await walk({ ...state, dir: path, rest });
    }
  }
}

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() ?? false;
}

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}
