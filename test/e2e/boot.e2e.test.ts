import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import type { Environment } from "../../src/shared/api.ts";
import { type ServerProcess, startServerProcess } from "../helpers/server-process.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

describe("starting the server", () => {
  const dir = mkdtempSync(join(tmpdir(), "sg-boot-"));
  let server: ServerProcess | undefined;
  afterAll(async () => {
    await server?.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  });

  it("stops with a clear message on a wrong setting", () => {
    const result = spawnSync(process.execPath, ["--import", "tsx", "src/main.ts"], {
      cwd: ROOT,
      env: { ...process.env, PORT: "eighty", DATABASE_URL: `sqlite:${join(dir, "never.db")}` },
      encoding: "utf8",
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('PORT="eighty"');
  });

  it("creates an admin token once, saved with mode 0600, and seeds the demo with 1.0.0 live", async () => {
    server = await startServerProcess({
      DATABASE_URL: `sqlite:${join(dir, "sg.db")}`,
      DATA_DIR: join(dir, "data"),
      STAGEGATE_DEMO: "1",
      LOG_LEVEL: "info",
    });
    const file = join(dir, "data", "admin-token");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const token = readFileSync(file, "utf8").trim();
    expect(server.output()).toContain(token);
    // The dashboard's admin user, with a generated password printed once and saved beside the token.
    const passwordFile = join(dir, "data", "admin-password");
    expect(statSync(passwordFile).mode & 0o777).toBe(0o600);
    const password = readFileSync(passwordFile, "utf8").trim();
    expect(password.length).toBeGreaterThanOrEqual(16);
    expect(server.output()).toContain(`password: ${password}`);
    const signIn = await fetch(`${server.url}/api/v1/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "admin", password }),
    });
    expect(signIn.status).toBe(201);
    const envs = async () => {
      const res = await fetch(`${server?.url}/api/v1/projects/demo/environments`, {
        headers: { authorization: `Bearer ${token}` },
      });
      return ((await res.json()) as { items: Environment[] }).items;
    };
    const until = Date.now() + 40_000;
    let current: (string | undefined)[] = [];
    while (Date.now() < until) {
      current = (await envs()).map((e) => e.currentRelease?.version);
      if (current[2] === "1.0.0" && current[0] === "1.1.0") break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(current).toEqual(["1.1.0", "1.0.0", "1.0.0"]);
    await server.kill("SIGTERM");
    expect(server.child.exitCode).toBe(0);

    server = await startServerProcess({
      DATABASE_URL: `sqlite:${join(dir, "sg.db")}`,
      DATA_DIR: join(dir, "data"),
      STAGEGATE_DEMO: "1",
    });
    expect(server.output()).not.toContain("Admin API token");
    expect(server.output()).not.toContain("password:");
    expect((await envs()).map((e) => e.name)).toEqual(["quant", "quant_stg", "live"]);
  }, 90_000);
});
