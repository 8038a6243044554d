import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expandGlob, segmentRegExp } from "./glob.ts";
import { collectReportFiles, uploadNames } from "./report-files.ts";

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "stagegate-glob-"));
  const files = [
    "junit.xml",
    "reports/unit/junit.xml",
    "reports/unit/TEST-a.xml",
    "reports/e2e/junit.xml",
    "reports/e2e/deep/er/TEST-b.xml",
    "reports/.cache/junit.xml",
    "coverage/lcov.info",
    "coverage/a1.json",
    "coverage/ab.json",
  ];
  for (const file of files) {
    await mkdir(dirname(join(dir, file)), { recursive: true });
    await writeFile(join(dir, file), file);
  }
  // A loop: ** must not follow it.
  await symlink(join(dir, "reports"), join(dir, "reports/unit/loop"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("expandGlob", () => {
  it("lets * match within one directory and ** across any number of them, including none", async () => {
    expect(await expandGlob("reports/*/junit.xml", dir)).toEqual(["reports/e2e/junit.xml", "reports/unit/junit.xml"]);
    expect(await expandGlob("**/junit.xml", dir)).toEqual(["junit.xml", "reports/e2e/junit.xml", "reports/unit/junit.xml"]);
    expect(await expandGlob("reports/**/TEST-*.xml", dir)).toEqual(["reports/e2e/deep/er/TEST-b.xml", "reports/unit/TEST-a.xml"]);
  });

  it("lets ? match exactly one character and treats regex characters literally", async () => {
    expect(await expandGlob("coverage/a?.json", dir)).toEqual(["coverage/a1.json", "coverage/ab.json"]);
    expect(await expandGlob("coverage/lcov?info", dir)).toEqual(["coverage/lcov.info"]);
    expect(segmentRegExp("a+(b).xml").test("a+(b).xml")).toBe(true);
    expect(segmentRegExp("*.xml").test("junitxml")).toBe(false);
  });

  it("hides dot directories from wildcards unless the pattern names them", async () => {
    expect(await expandGlob("reports/*/junit.xml", dir)).not.toContain("reports/.cache/junit.xml");
    expect(await expandGlob("reports/.*/junit.xml", dir)).toEqual(["reports/.cache/junit.xml"]);
  });

  it("takes dir/** as every file below dir", async () => {
    expect(await expandGlob("coverage/**", dir)).toEqual(["coverage/a1.json", "coverage/ab.json", "coverage/lcov.info"]);
  });

  it("returns a plain path when that file exists and nothing otherwise; directories never match", async () => {
    expect(await expandGlob("coverage/lcov.info", dir)).toEqual(["coverage/lcov.info"]);
    expect(await expandGlob("coverage/missing.info", dir)).toEqual([]);
    expect(await expandGlob("coverage", dir)).toEqual([]);
    expect(await expandGlob("nowhere/**/*.xml", dir)).toEqual([]);
  });

  it("expands absolute patterns to absolute paths", async () => {
    expect(await expandGlob(`${dir}/reports/unit/*.xml`, "/")).toEqual([
      `${dir}/reports/unit/TEST-a.xml`,
      `${dir}/reports/unit/junit.xml`,
    ]);
  });
});

describe("report files to upload", () => {
  it("names files by their base name, prefixing a hash of the directory only where base names clash", () => {
    const names = uploadNames(["reports/unit/junit.xml", "reports/e2e/junit.xml", "coverage/lcov.info"], dir);

    expect(names.get("coverage/lcov.info")).toBe("lcov.info");
    expect(names.get("reports/unit/junit.xml")).toMatch(/^[0-9a-f]{8}-junit\.xml$/);
    expect(names.get("reports/e2e/junit.xml")).toMatch(/^[0-9a-f]{8}-junit\.xml$/);
    expect(names.get("reports/unit/junit.xml")).not.toBe(names.get("reports/e2e/junit.xml"));
    // Stable: the same directory gives the same name on every run.
    expect(uploadNames(["reports/unit/junit.xml", "./reports/e2e/junit.xml"], dir).get("reports/unit/junit.xml")).toBe(
      names.get("reports/unit/junit.xml"),
    );
  });

  it("collects each file once with its size, and lists the patterns that matched nothing", async () => {
    const { files, unmatched } = await collectReportFiles(["reports/unit/*.xml", "reports/unit/junit.xml", "missing/*.xml"], dir);

    expect(files.map((f) => [f.path, f.bytes])).toEqual([
      ["reports/unit/TEST-a.xml", "reports/unit/TEST-a.xml".length],
      ["reports/unit/junit.xml", "reports/unit/junit.xml".length],
    ]);
    expect(files.map((f) => f.name)).toEqual(["TEST-a.xml", "junit.xml"]);
    expect(unmatched).toEqual(["missing/*.xml"]);
  });
});
