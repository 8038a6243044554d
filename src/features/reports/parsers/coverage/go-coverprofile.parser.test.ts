import { describe, expect, it } from "vitest";
import { parseGoCoverprofile } from "./go-coverprofile.parser.ts";
import { summarise } from "./paths.ts";
import { chunksOf, collect, fixture, fixtureText, parseError } from "./test-support.ts";

describe("parseGoCoverprofile", () => {
  it("reads cobra's set-mode profile: 1251 blocks over 17 files, module paths as given", async () => {
    const blocks = fixtureText("go-coverprofile-set-cobra.out").trim().split("\n").slice(1);
    expect(blocks).toHaveLength(1251);
    const paths = [...new Set(blocks.map((b) => b.slice(0, b.lastIndexOf(":"))))];
    expect(paths).toHaveLength(17);

    const files = await collect(parseGoCoverprofile(fixture("go-coverprofile-set-cobra.out")));
    expect(files.map((f) => f.path)).toEqual(paths);
    expect(files[0]?.path).toBe("github.com/spf13/cobra/doc/man_docs.go");
    // Every line a block spans, once per file (computed with a separate script).
    expect(summarise(files)).toEqual({ lines: { covered: 4024, total: 4411 }, branches: { covered: 0, total: 0 } });
    const man = files[0];
    expect([38, 44, 48, 50, 53].map((line) => man?.lines.get(line))).toEqual([1, 1, 1, 1, 1]); // 50: end of one block, start of the next
    expect(man?.lines.get(51)).toBe(0);
  });

  it("keeps counts in count mode, a shared boundary line taking the larger count", async () => {
    const files = await collect(parseGoCoverprofile(fixture("go-coverprofile-count.out")));
    expect(files.map((f) => f.path)).toEqual(["m/func1.go", "m/func3.go", "m/func4.go", "m/p/func2.go"]);
    expect(Object.fromEntries(files[1]?.lines ?? [])).toEqual({ 3: 1, 4: 1, 5: 0, 6: 0, 9: 1 });
    expect(Object.fromEntries(files[3]?.lines ?? [])).toEqual({ 3: 2, 4: 2, 5: 1, 6: 1, 7: 1 });
    expect(summarise(files).lines).toEqual({ covered: 11, total: 16 });
  });

  it("counts a block listed twice in a merged atomic profile once, at its larger count", async () => {
    const files = await collect(parseGoCoverprofile(fixture("go-coverprofile-atomic.out")));
    expect(files).toHaveLength(4);
    const file4 = files.find((f) => f.path === "github.com/example/project/pkg/test/file4.go");
    expect(Object.fromEntries(file4?.lines ?? [])).toEqual({ 10: 1, 11: 1 });
    expect(files[0]?.lines.get(10)).toBe(3);
    expect(summarise(files).lines).toEqual({ covered: 23, total: 33 });
  });

  it("gives the same result when fed 3 bytes at a time, CRLF included", async () => {
    for (const name of ["go-coverprofile-set-cobra.out", "go-coverprofile-count.out", "go-coverprofile-atomic.out"]) {
      const whole = await collect(parseGoCoverprofile(fixture(name)));
      expect(await collect(parseGoCoverprofile(fixture(name, 3)))).toEqual(whole);
      expect(await collect(parseGoCoverprofile(chunksOf(fixtureText(name).replace(/\n/g, "\r\n"), 3)))).toEqual(whole);
    }
  });

  it("keeps a Windows path with its drive colon as given", async () => {
    const [file] = await collect(parseGoCoverprofile(chunksOf("mode: set\nC:\\src\\m\\a.go:3.1,4.2 1 1\n", 3)));
    expect(file?.path).toBe("C:\\src\\m\\a.go");
    expect(Object.fromEntries(file?.lines ?? [])).toEqual({ 3: 1, 4: 1 });
  });

  it.each([
    ["a missing mode line", "m/a.go:1.1,2.2 1 1\n", 1, /starts with a mode/],
    ["an unknown mode", "mode: sometimes\n", 1, /not a coverprofile mode/],
    ["an empty file", "", 1, /empty/],
    ["a line cut short", "mode: set\nm/a.go:1.1,2.2 1 1\nm/a.go:3.1,4", 3, /not a coverprofile block/],
    ["garbage", "mode: set\n<html>\n", 2, /not a coverprofile block/],
    ["a block that ends before it starts", "mode: count\nm/a.go:9.1,2.2 1 1\n", 2, /before it starts/],
    ["a block of a million lines", "mode: count\nm/a.go:1.1,1000000.2 1 1\n", 2, /spans/],
  ])("refuses %s with the line", async (_, text, line, message) => {
    const error = await parseError(collect(parseGoCoverprofile(chunksOf(text, 3))));
    expect(error.format).toBe("go-coverprofile");
    expect(error.line).toBe(line);
    expect(error.message).toMatch(message);
  });
});
