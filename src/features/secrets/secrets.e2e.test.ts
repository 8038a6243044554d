import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp, userWithToken } from "../../../test/helpers/app.ts";
import { testDialects } from "../../../test/helpers/db.ts";
import type { Deployment } from "../../shared/api.ts";
import { KEY_FILE } from "./secret.cipher.ts";
import type { SecretInfo } from "./secrets.types.ts";

const VALUE = "hunter2-very-secret-value";

describe.each(testDialects())("secrets over HTTP on %s", (dialect) => {
  let t: TestApp;
  let dataDir: string;
  const put = (name: string, payload: unknown, headers: Record<string, string> = {}) =>
    t.request({ method: "PUT", url: `/api/v1/projects/shop/secrets/${name}`, payload: payload as object, headers });

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "sg-secrets-"));
    t = await startTestApp(dialect, { DATA_DIR: dataDir });
    const yaml = `environments:
  - name: quant
    executor: { type: shell, config: { command: ["sh", "-c", "echo using $TOKEN; echo done"], env: { TOKEN: "\${secret:SHELL_TOKEN}" } } }
  - name: live
    executor: { type: shell, config: { command: ["sh", "-c", "echo $TOKEN"], env: { TOKEN: "\${secret:MISSING_ONE}" } } }
`;
    const applied = await t.request({
      method: "PUT",
      url: "/api/v1/projects/shop/config",
      payload: yaml,
      headers: { "content-type": "application/yaml" },
    });
    expect(applied.statusCode, applied.body).toBe(200);
  });
  afterAll(async () => {
    await t.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("sets, lists and deletes a secret without ever returning or logging its value", async () => {
    const created = await put("SHELL_TOKEN", { value: VALUE });
    expect(created.statusCode, created.body).toBe(200);
    expect(created.json<SecretInfo>()).toMatchObject({
      name: "SHELL_TOKEN",
      environment: null,
      version: 1,
      updatedBy: expect.stringContaining("admin"),
    });
    expect(created.body).not.toContain(VALUE);
    expect(statSync(join(dataDir, KEY_FILE)).mode & 0o777).toBe(0o600);

    const rotated = await put("SHELL_TOKEN", { value: `${VALUE}-2` });
    expect(rotated.json<SecretInfo>().version).toBe(2);
    await put("SHELL_TOKEN", { value: "quant-only-value", environment: "quant" });

    const list = await t.request({ method: "GET", url: "/api/v1/projects/shop/secrets" });
    expect(list.json<{ items: SecretInfo[] }>().items.map((s) => [s.name, s.environment, s.version])).toEqual([
      ["SHELL_TOKEN", null, 2],
      ["SHELL_TOKEN", "quant", 1],
    ]);
    expect(list.body).not.toMatch(/hunter2|quant-only-value/);

    const rows = await t.db.kysely.selectFrom("secrets").select("ciphertext").execute();
    expect(rows.map((row) => row.ciphertext).join()).not.toMatch(/hunter2|quant-only/);

    const audit = await t.request({ method: "GET", url: "/api/v1/audit?project=shop&subject=secret" });
    expect(audit.statusCode, audit.body).toBe(200);
    expect(audit.json<{ items: { action: string }[] }>().items.map((event) => event.action)).toEqual([
      "secret.created",
      "secret.updated",
      "secret.created",
    ]);
    expect(audit.body).not.toMatch(/hunter2|quant-only/);

    const removed = await t.request({ method: "DELETE", url: "/api/v1/projects/shop/secrets/SHELL_TOKEN?environment=quant" });
    expect(removed.statusCode).toBe(204);
    const again = await t.request({ method: "DELETE", url: "/api/v1/projects/shop/secrets/SHELL_TOKEN?environment=quant" });
    expect(again.statusCode).toBe(404);
    expect(again.json().error.message).toContain('no secret "SHELL_TOKEN" for environment "quant"');
  });

  it("answers 400 for a bad name or an empty value and 404 for an unknown environment", async () => {
    expect((await put("1BAD", { value: "x" })).statusCode).toBe(400);
    expect((await put("GOOD", { value: "" })).statusCode).toBe(400);
    expect((await put("GOOD", { value: "x", extra: 1 })).statusCode).toBe(400);
    const unknown = await put("GOOD", { value: "xyz", environment: "nope" });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe("environment_not_found");
  });

  it("lets only project admins manage secrets", async () => {
    const developer = await userWithToken(t, { username: "dev", project: "shop", role: "developer" });
    const headers = { authorization: `Bearer ${developer}` };
    expect((await put("X_TOKEN", { value: "value" }, headers)).statusCode).toBe(403);
    expect((await t.request({ method: "GET", url: "/api/v1/projects/shop/secrets", headers })).statusCode).toBe(403);
  });

  it("resolves ${secret:NAME} when the step runs, masks it in the log, and errors naming a missing one", async () => {
    await put("SHELL_TOKEN", { value: VALUE });
    const release = await t.request({
      method: "POST",
      url: "/api/v1/projects/shop/releases",
      payload: { version: "1.0.0", commitSha: "a".repeat(40), branch: "main" },
    });
    expect(release.statusCode, release.body).toBe(201);
    const promote = (environment: string) =>
      t.request({ method: "POST", url: "/api/v1/projects/shop/releases/1.0.0/promote", payload: { environment } });
    const quant = await t.waitForDeployment((await promote("quant")).json<Deployment>().id);
    expect(quant.status).toBe("succeeded");
    const log = await t.request({ method: "GET", url: `/api/v1/deployments/${quant.id}/log` });
    expect(log.body).toMatch(/stdout using \*\*\*$/m);
    expect(log.body).not.toContain("hunter2");
    // Stored as a reference: the applied config still says ${secret:…}.
    const config = await t.request({ method: "GET", url: "/api/v1/projects/shop/config" });
    expect(config.body).toContain("${secret:SHELL_TOKEN}");

    const live = await t.waitForDeployment((await promote("live")).json<Deployment>().id);
    expect(live.status).toBe("errored");
    expect(live.reason).toContain('${secret:MISSING_ONE}, which is not set for project "shop"');
    expect(live.reason).toContain("stagegate secret set -p shop MISSING_ONE");
  });
});
