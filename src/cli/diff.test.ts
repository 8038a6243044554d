import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseUnifiedDiff } from "./diff.ts";
import { gitDiff, readDiffFile } from "./diff-sources.ts";

const GIT_DIFF = `diff --git a/src/cart.ts b/src/cart.ts
index 83db48f..bf269f4 100644
--- a/src/cart.ts
+++ b/src/cart.ts
@@ -3,0 +4,2 @@ export function total() {
+  const tax = 0.2;
+  return sum * (1 + tax);
@@ -10 +12 @@ export function add() {
-  items.push(item);
+  items.push({ ...item });
@@ -20,2 +21,0 @@ export function clear() {
-  items.length = 0;
-  return;
diff --git a/src/old.ts b/src/old.ts
deleted file mode 100644
index 83db48f..0000000
--- a/src/old.ts
+++ /dev/null
@@ -1,2 +0,0 @@
-export const a = 1;
-export const b = 2;
diff --git a/docs/new.md b/docs/new.md
new file mode 100644
index 0000000..3f2a9c1
--- /dev/null
+++ b/docs/new.md
@@ -0,0 +1,3 @@
+# New
+
+text
`;

describe("parseUnifiedDiff", () => {
  it("turns the hunks of git diff --unified=0 into added line ranges per new-side file", () => {
    expect(parseUnifiedDiff(GIT_DIFF)).toEqual([
      {
        path: "src/cart.ts",
        ranges: [
          [4, 5],
          [12, 12],
        ],
      },
      { path: "docs/new.md", ranges: [[1, 3]] },
    ]);
  });

  it("counts context lines when the diff has them, and skips the no-newline marker", () => {
    const diff = [
      "--- a/x.py",
      "+++ b/x.py",
      "@@ -1,4 +1,5 @@",
      " a",
      "-b",
      "+B",
      "+C",
      " c",
      "",
      "\\ No newline at end of file",
    ].join("\n");

    expect(parseUnifiedDiff(diff)).toEqual([{ path: "x.py", ranges: [[2, 3]] }]);
  });

  it("reads an added line that starts with '++ ' as a line, not as a file header", () => {
    const diff = [
      "diff --git a/a.c b/a.c",
      "--- a/a.c",
      "+++ b/a.c",
      "@@ -1,0 +2,2 @@",
      "+++ counter;",
      "+--- x;",
      "@@ -5 +7 @@",
      "-y",
      "+z",
    ].join("\n");

    expect(parseUnifiedDiff(diff)).toEqual([
      {
        path: "a.c",
        ranges: [
          [2, 3],
          [7, 7],
        ],
      },
    ]);
  });

  it("unquotes C-quoted names with octal UTF-8 and cuts the timestamp of a plain diff -u header", () => {
    const diff = [
      '+++ "b/caf\\303\\251 \\"menu\\".ts"',
      "@@ -0,0 +1 @@",
      "+x",
      "+++ lib/y.js\t2026-11-25 10:00:00",
      "@@ -1 +1 @@",
      "-a",
      "+b",
    ].join("\n");

    expect(parseUnifiedDiff(diff)).toEqual([
      { path: 'café "menu".ts', ranges: [[1, 1]] },
      { path: "lib/y.js", ranges: [[1, 1]] },
    ]);
  });

  it("accepts CRLF line endings and an empty diff", () => {
    expect(parseUnifiedDiff("+++ b/w.ts\r\n@@ -1 +1,2 @@\r\n-a\r\n+b\r\n+c\r\n")).toEqual([{ path: "w.ts", ranges: [[1, 2]] }]);
    expect(parseUnifiedDiff("")).toEqual([]);
  });
});

describe("diffs from files and from git", () => {
  let dir: string;
  const git = (...args: string[]) =>
    promisify(execFile)("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], { cwd: dir });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "stagegate-diff-"));
    await git("init", "-q", "-b", "main");
    await writeFile(join(dir, "app.ts"), "one\ntwo\nthree\n");
    await git("add", ".");
    await git("commit", "-q", "-m", "base");
    await writeFile(join(dir, "app.ts"), "one\n++two\nthree\nfour\n");
    await writeFile(join(dir, "naïve.ts"), "x\n");
    await git("add", ".");
    await git("commit", "-q", "-m", "change");
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("runs git diff <base>...HEAD and parses what it prints, whatever the user's git config", async () => {
    const { stdout: base } = await git("rev-parse", "HEAD~1");

    const diff = await gitDiff(base.trim(), dir);

    expect(diff).toEqual([
      {
        path: "app.ts",
        ranges: [
          [2, 2],
          [4, 4],
        ],
      },
      { path: "naïve.ts", ranges: [[1, 1]] },
    ]);
  });

  it("rejects with git's message when the base is unknown (a shallow clone)", async () => {
    await expect(gitDiff("0123456789abcdef0123456789abcdef01234567", dir)).rejects.toThrow(
      /fatal|bad revision|unknown revision/i,
    );
  });

  it("reads a diff file line by line", async () => {
    await writeFile(join(dir, "change.diff"), GIT_DIFF);

    expect(await readDiffFile(join(dir, "change.diff"))).toHaveLength(2);
    await expect(readDiffFile(join(dir, "missing.diff"))).rejects.toThrow(/cannot read the diff .*missing\.diff/);
  });
});
