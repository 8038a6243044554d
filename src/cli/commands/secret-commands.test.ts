import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../../../test/helpers/app.ts";
import { run } from "../main.ts";

describe("stagegate secret set, list, delete", () => {
  let t: TestApp;
  let server: string;
  const dataDir = mkdtempSync(join(tmpdir(), "sg-secret-cli-"));

  async function cli(args: string[], stdin?: string) {
    let stdout = "";
    let stderr = "";
    const code = await run(["node", "stagegate", "--server", server, "--token", t.token, ...args], {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
      ...(stdin === undefined ? {} : { stdin: Readable.from([stdin]) }),
    });
    return { code, stdout, stderr };
  }

  beforeAll(async () => {
    t = await startTestApp("sqlite", { DATA_DIR: dataDir });
    server = await t.app.http.listen({ port: 0, host: "127.0.0.1" });
    const yaml = 'environments:\n  - name: live\n    executor: { type: shell, config: { command: ["true"] } }\n';
    await t.request({
      method: "PUT",
      url: "/api/v1/projects/shop/config",
      payload: yaml,
      headers: { "content-type": "application/yaml" },
    });
  });
  afterAll(async () => {
    await t.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("sets from stdin without echoing the value, lists names only, deletes", async () => {
    const set = await cli(["secret", "set", "-p", "shop", "ADF_SECRET"], "s3cret-value\n");
    expect(set).toMatchObject({ code: 0, stdout: "set ADF_SECRET (version 1)\n" });
    const scoped = await cli(["secret", "set", "-p", "shop", "--env", "live", "ADF_SECRET"], "live-value");
    expect(scoped.stdout).toBe("set ADF_SECRET for live (version 1)\n");

    const list = await cli(["secret", "list", "-p", "shop"]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^NAME\s+ENVIRONMENT\s+VERSION/);
    expect(list.stdout).toMatch(/ADF_SECRET\s+\(all\)\s+1/);
    expect(list.stdout).toMatch(/ADF_SECRET\s+live\s+1/);
    expect(list.stdout + set.stdout + set.stderr).not.toContain("s3cret");

    const json = await cli(["-o", "json", "secret", "list", "-p", "shop"]);
    expect(JSON.parse(json.stdout).items).toHaveLength(2);

    expect((await cli(["secret", "delete", "-p", "shop", "--env", "live", "ADF_SECRET"])).stdout).toBe(
      "deleted ADF_SECRET for live\n",
    );
    const missing = await cli(["secret", "delete", "-p", "shop", "--env", "live", "ADF_SECRET"]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('no secret "ADF_SECRET"');
  });

  it("refuses an empty value and a bad name", async () => {
    expect((await cli(["secret", "set", "-p", "shop", "EMPTY"], "")).code).toBe(2);
    const bad = await cli(["secret", "set", "-p", "shop", "no-dashes"], "v");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/must match pattern|not a secret name/);
  });
});
