import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../../test/helpers/app.ts";
import { testDialects } from "../../test/helpers/db.ts";
import type { PageOf } from "../shared/api.ts";
import type { CreatedToken, Member, TokenInfo } from "../shared/auth.api.ts";
import { credentialsPath, serverKey } from "./credentials.ts";
import { run } from "./main.ts";

const PASSWORD = "correct horse battery";

describe.each(testDialects())("stagegate login, token, user and member on %s", (dialect) => {
  let t: TestApp;
  let server: string;
  let home: string;
  const saved = { xdg: process.env.XDG_CONFIG_HOME, token: process.env.STAGEGATE_TOKEN };

  /** Runs the CLI in-process; `stdin` is what a pipe would give it. */
  async function cli(args: string[], stdin?: string) {
    let stdout = "";
    let stderr = "";
    const code = await run(["node", "stagegate", "--server", server, ...args], {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
      ...(stdin === undefined ? {} : { stdin: Readable.from([stdin]) }),
    });
    return { code, stdout, stderr };
  }
  const asAdmin = (args: string[], stdin?: string) => cli(["--token", t.token, ...args], stdin);

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), "stagegate-login-"));
    process.env.XDG_CONFIG_HOME = home;
    delete process.env.STAGEGATE_TOKEN;
    t = await startTestApp(dialect);
    server = await t.app.http.listen({ port: 0, host: "127.0.0.1" });
    await t.request({ method: "POST", url: "/api/v1/projects", payload: { slug: "shop", name: "Shop" } });
  });
  afterAll(async () => {
    await t?.close();
    rmSync(home, { recursive: true, force: true });
    if (saved.xdg === undefined) delete process.env.XDG_CONFIG_HOME;
    else process.env.XDG_CONFIG_HOME = saved.xdg;
    if (saved.token !== undefined) process.env.STAGEGATE_TOKEN = saved.token;
  });

  it("creates users and sets their roles", async () => {
    const created = await asAdmin(
      ["user", "create", "alice", "--display-name", "Alice Doe", "--password-stdin"],
      `${PASSWORD}\n`,
    );
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(/^Username:\s+alice$/m);
    expect((await asAdmin(["user", "create", "bob"])).code).toBe(0);
    const set = await asAdmin(["member", "set", "-p", "shop", "alice", "developer"]);
    expect([set.code, set.stdout.trim()]).toEqual([0, "alice is developer in shop"]);
    expect((await asAdmin(["member", "set", "-p", "shop", "bob", "viewer"])).code).toBe(0);
    const bad = await asAdmin(["member", "set", "-p", "shop", "bob", "owner"]);
    expect(bad.code).toBe(2);
    const list = await asAdmin(["member", "list", "-p", "shop", "-o", "json"]);
    expect(JSON.parse(list.stdout).items.map((m: Member) => `${m.username}:${m.role}`)).toEqual([
      "alice:developer",
      "bob:viewer",
    ]);
    expect((await asAdmin(["member", "remove", "-p", "shop", "bob"])).code).toBe(0);
    expect((await asAdmin(["user", "list"])).stdout).toMatch(/^alice\s+Alice Doe/m);
  });

  it("signs in with the password on stdin and stores a personal token (mode 0600) that later commands use", async () => {
    const refused = await cli(["login", "-u", "alice"], "");
    expect(refused.code).toBe(2);
    const wrong = await cli(["login", "-u", "alice", "--password-stdin"], "nope\n");
    expect(wrong.code).toBe(3);

    const login = await cli(["login", "-u", "alice", "--password-stdin"], `${PASSWORD}\n`);
    expect(login.code, login.stderr).toBe(0);
    expect(login.stdout).toContain(`signed in to ${server} as alice`);
    const file = credentialsPath();
    expect(file).toBe(join(home, "stagegate", "credentials.json"));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const stored = JSON.parse(readFileSync(file, "utf8")).servers[serverKey(server)];
    expect(stored).toMatchObject({ username: "alice", token: expect.stringMatching(/^sg_/) });

    const mine = await cli(["token", "list", "-o", "json"]);
    expect(mine.code, mine.stderr).toBe(0);
    const items = (JSON.parse(mine.stdout) as PageOf<TokenInfo>).items;
    expect(items).toEqual([expect.objectContaining({ id: stored.tokenId, kind: "personal", owner: "alice" })]);
    expect(mine.stdout).not.toContain(stored.token);

    // Signing in again replaces the stored token and revokes the old one.
    expect((await cli(["login", "-u", "alice", "--password-stdin"], PASSWORD)).code).toBe(0);
    const again = (JSON.parse((await cli(["token", "list", "-o", "json"])).stdout) as PageOf<TokenInfo>).items;
    expect(again.find((token) => token.id === stored.tokenId)?.revokedAt).toEqual(expect.any(String));
  });

  it("creates, lists and revokes tokens", async () => {
    const created = await cli(["token", "create", "--name", "ci", "--role", "viewer", "-p", "shop", "-o", "json"]);
    expect(created.code, created.stderr).toBe(0);
    const token = JSON.parse(created.stdout) as CreatedToken;
    expect(token).toMatchObject({ kind: "personal", role: "viewer", projects: ["shop"] });
    const table = await cli(["token", "list"]);
    expect(table.stdout).toMatch(new RegExp(`^${token.id}\\s+ci\\s+personal\\s+viewer\\s+shop\\s+alice\\s+active`, "m"));
    expect((await cli(["token", "revoke", token.id])).stdout.trim()).toBe(`revoked ${token.id}`);
    expect((await cli(["token", "list"])).stdout).toMatch(new RegExp(`^${token.id}.*revoked`, "m"));
    const service = await cli(["token", "create", "--name", "svc", "--kind", "service"]);
    expect(service.code).toBe(3);
    expect(service.stderr).toContain("(forbidden)");
  });

  it("signs out: revokes the stored token and forgets it", async () => {
    const stored = JSON.parse(readFileSync(credentialsPath(), "utf8")).servers[serverKey(server)];
    const out = await cli(["logout"]);
    expect([out.code, out.stderr.trim()]).toEqual([0, `signed out of ${server} (alice)`]);
    expect(JSON.parse(readFileSync(credentialsPath(), "utf8")).servers).toEqual({});
    const res = await t.app.http.inject({
      method: "GET",
      url: "/api/v1/projects",
      headers: { authorization: `Bearer ${stored.token}` },
    });
    expect(res.statusCode).toBe(401);
    expect((await cli(["logout"])).stderr).toContain("not signed in");
  });
});
