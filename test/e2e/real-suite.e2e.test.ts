import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { runCli } from "../helpers/cli.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const COMMIT = "5ca1ab1e0000000000000000000000000000beef";

/** Runs the sample project's own vitest suite (JUnit reporter, v8 coverage) like a CI job would. */
function runSuite(out: string, flaky: boolean): number {
  const result = spawnSync(
    process.execPath,
    [join(ROOT, "node_modules/vitest/vitest.mjs"), "run", "--root", "test/fixtures/sample-project"],
    {
      cwd: ROOT,
      env: { ...process.env, SAMPLE_OUT: out, SAMPLE_FLAKY: flaky ? "1" : "0", STAGEGATE_URL: "", STAGEGATE_TOKEN: "" },
      encoding: "utf8",
    },
  );
  return result.status ?? -1;
}

describe("a real test suite, uploaded with the CLI", () => {
  let t: TestApp;
  let url = "";
  const dir = mkdtempSync(join(tmpdir(), "sg-suite-"));
  const auth = () => ["--server", url, "--token", t.token];

  beforeAll(async () => {
    t = await startTestApp("sqlite");
    url = await t.app.http.listen({ port: 0, host: "127.0.0.1" });
    const yaml = `environments:
  - name: live
    requires: null
    executor: { type: shell, config: { command: ["true"] } }
    gates:
      - { type: tests_pass }
      - { type: coverage_min, lines: 95 }
`;
    const applied = await t.request({
      method: "PUT",
      url: "/api/v1/projects/cart/config",
      payload: yaml,
      headers: { "content-type": "application/yaml" },
    });
    expect(applied.statusCode, applied.body).toBe(200);
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("reports the run, sees the flaky test after a retry, and is refused by the coverage gate", async () => {
    const first = join(dir, "attempt-1");
    expect(runSuite(first, true)).toBe(1);
    const upload1 = await runCli([
      ...auth(),
      "report",
      "upload",
      "-p",
      "cart",
      "--commit",
      COMMIT,
      "--branch",
      "main",
      `${first}/junit.xml`,
      `${first}/coverage/lcov.info`,
    ]);
    expect(upload1.code, upload1.stderr).toBe(0);
    expect(upload1.stdout).toMatch(/3 tests/);
    expect(upload1.stdout).toMatch(/1 failed/);
    expect(upload1.stdout).toContain("survives a slow network");

    const retry = join(dir, "attempt-2");
    expect(runSuite(retry, false)).toBe(0);
    const upload2 = await runCli([
      ...auth(),
      "-o",
      "json",
      "report",
      "upload",
      "-p",
      "cart",
      "--commit",
      COMMIT,
      "--branch",
      "main",
      `${retry}/junit.xml`,
      `${retry}/coverage/lcov.info`,
    ]);
    expect(upload2.code, upload2.stderr).toBe(0);
    const detail = JSON.parse(upload2.stdout) as { summary: { tests: { passed: number }; coverage: { lines: { pct: number } } } };
    expect(detail.summary.tests.passed).toBe(3);
    const pct = detail.summary.coverage.lines.pct;
    expect(pct).toBeGreaterThan(30);
    expect(pct).toBeLessThan(95);

    const commit = (await t.request({ method: "GET", url: `/api/v1/projects/cart/commits/${COMMIT}/report` })).json<{
      kinds: { failing: string[]; flaky: string[] }[];
    }>();
    expect(commit.kinds[0]?.failing).toEqual([]);
    expect(commit.kinds[0]?.flaky).toEqual(["src/cart.spec.ts › cart > survives a slow network"]);

    expect(
      (await runCli([...auth(), "release", "create", "-p", "cart", "--version", "1.0.0", "--commit", COMMIT, "--branch", "main"]))
        .code,
    ).toBe(0);
    const refused = await runCli([...auth(), "promote", "-p", "cart", "1.0.0", "--to", "live"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("gate_failed");
    expect(refused.stderr).toMatch(/coverage_min: unit coverage of 5ca1ab1: lines [\d.]+% \(needs lines ≥ 95%\)/);
  }, 90_000);
});
