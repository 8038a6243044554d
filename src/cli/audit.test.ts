import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type AuditTestApp, auditTable, startAuditApp } from "../../test/helpers/audit-app.ts";
import { runCli } from "../../test/helpers/cli.ts";
import type { AuditEvent } from "../shared/audit.api.ts";

describe("stagegate audit, against a real audit API", () => {
  let t: AuditTestApp;
  let url: string;
  let dir: string;
  const cli = (...args: string[]) => runCli(["--server", url, "--token", "t0ken", ...args]);

  beforeAll(async () => {
    t = await startAuditApp("sqlite");
    url = await t.http.listen({ port: 0, host: "127.0.0.1" });
    await t.projects.create({ slug: "shop", name: "Shop" });
    dir = mkdtempSync(join(tmpdir(), "sg-audit-cli-"));
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await auditTable(t.db).deleteFrom("audit_events").execute();
    const { id } = await t.projects.record("shop");
    for (const [actor, subject] of [
      ["ci", "dep_1"],
      ["alice", "dep_1"],
      ["ci", "dep_2"],
    ] as const) {
      await t.audit.append(t.db.kysely, {
        actor,
        action: "deployment.promoted",
        projectId: id,
        subject: { type: "deployment", id: subject },
        data: { environment: "live" },
      });
    }
  });

  it("says the chain is intact and exits 0", async () => {
    const { code, stdout, stderr } = await cli("audit", "verify");

    expect(code).toBe(0);
    expect(stdout).toBe("OK: 3 events, chain intact\n");
    expect(stderr).toMatch(/^last hash: [0-9a-f]{64}$/m);
  });

  it("names the broken seq and exits 1 when a row was edited", async () => {
    await auditTable(t.db)
      .updateTable("audit_events")
      .set({ data_json: '{"environment":"quant"}' })
      .where("seq", "=", 2)
      .execute();

    const { code, stdout } = await cli("audit", "verify");

    expect(code).toBe(1);
    expect(stdout).toMatch(/^BROKEN at seq 2: hash mismatch/);
  });

  it("prints the server's verdict as JSON with -o json", async () => {
    const { code, stdout } = await cli("-o", "json", "audit", "verify");

    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ ok: true, count: 3 });
  });

  it("lists events newest first, filtered, with a hint for the next page", async () => {
    const { code, stdout, stderr } = await cli("audit", "list", "-p", "shop", "--subject", "deployment:dep_1", "--limit", "1");

    expect(code).toBe(0);
    expect(stdout.split("\n")[0]).toMatch(/^SEQ\s+TIME\s+ACTOR\s+ACTION\s+SUBJECT\s+DATA$/);
    expect(stdout).toMatch(/^2\s+\S+\s+alice\s+deployment\.promoted\s+deployment:dep_1\s+\{"environment":"live"\}$/m);
    expect(stderr).toContain("more: stagegate audit list --project shop --subject deployment:dep_1 --limit 1 --cursor 2");

    const json = await cli("-o", "json", "audit", "list", "--actor", "ci");
    expect(JSON.parse(json.stdout).items.map((event: AuditEvent) => event.seq)).toEqual([3, 1]);
  });

  it("exports NDJSON that `audit verify --file` checks offline, without a server", async () => {
    const exported = await cli("audit", "export");
    expect(exported.code).toBe(0);
    expect(exported.stderr).toContain("exported 3 audit events");
    const file = join(dir, "audit.ndjson");
    writeFileSync(file, exported.stdout);

    const offline = await runCli(["--server", "http://127.0.0.1:9", "audit", "verify", "--file", file]);

    expect(offline).toMatchObject({ code: 0, stdout: "OK: 3 events, chain intact\n" });
  });

  it("finds an edited line of an exported file and exits 1", async () => {
    const file = join(dir, "tampered.ndjson");
    writeFileSync(file, (await cli("audit", "export")).stdout);
    const lines = readFileSync(file, "utf8").split("\n");
    const third = JSON.parse(lines[2] ?? "") as AuditEvent;
    lines[2] = JSON.stringify({ ...third, actor: "mallory" });
    writeFileSync(file, lines.join("\n"));

    const { code, stdout } = await runCli(["audit", "verify", "--file", file]);

    expect(code).toBe(1);
    expect(stdout).toMatch(/^BROKEN at seq 3: hash mismatch/);
  });

  it("exits 2 when the file to verify cannot be read", async () => {
    const { code, stderr } = await runCli(["audit", "verify", "--file", join(dir, "missing.ndjson")]);

    expect(code).toBe(2);
    expect(stderr).toMatch(/cannot read .*missing\.ndjson/);
  });

  it("passes filters to the export and warns that a filtered export is not a whole chain", async () => {
    const { stdout, stderr } = await cli("audit", "export", "--actor", "alice");

    const seqs = stdout
      .trim()
      .split("\n")
      .map((line) => (JSON.parse(line) as AuditEvent).seq);
    expect(seqs).toEqual([2]);
    expect(stderr).toContain("a filtered export leaves gaps");
  });
});
