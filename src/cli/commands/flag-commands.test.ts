import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pipelineYaml, startTestApp, type TestApp } from "../../../test/helpers/app.ts";
import { runCli } from "../../../test/helpers/cli.ts";
import type { Flag, FlagChangeRequest, PromoteFlagsResult } from "../../shared/flags/flags.api.ts";
import type { FlagSet } from "../../shared/flags/flags.types.ts";

describe("stagegate flag …", () => {
  let t: TestApp;
  let global: string[];
  const cli = (...args: string[]) => runCli([...global, ...args]);

  beforeAll(async () => {
    t = await startTestApp("sqlite");
    await t.request({
      method: "PUT",
      url: "/api/v1/projects/shop/config",
      payload: pipelineYaml(),
      headers: { "content-type": "application/yaml" },
    });
    const server = await t.app.http.listen({ port: 0, host: "127.0.0.1" });
    global = ["--server", server, "--token", t.token];
  });
  afterAll(() => t.close());

  it("creates, rolls out, diffs, promotes and lists a flag's history", async () => {
    const created = await cli("flag", "create", "-p", "shop", "new-checkout", "--description", "the new checkout");
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain("quant_stg");
    expect((await cli("flag", "rollout", "-p", "shop", "-e", "quant_stg", "new-checkout", "10", "-m", "canary")).code).toBe(0);

    const diff = await cli("-o", "json", "flag", "diff", "-p", "shop", "--from", "quant_stg", "--to", "live");
    expect(diff.code, diff.stderr).toBe(0);
    expect(JSON.parse(diff.stdout) as PromoteFlagsResult).toMatchObject({
      applied: false,
      changes: [{ flag: "new-checkout", change: "changed" }],
    });

    const promoted = await cli("flag", "promote", "-p", "shop", "--from", "quant_stg", "--to", "live");
    expect(promoted.code, promoted.stderr).toBe(0);
    expect(promoted.stderr).toContain("~ new-checkout");
    expect(promoted.stdout).toContain("live is now at version 2");

    const got = JSON.parse((await cli("-o", "json", "flag", "get", "-p", "shop", "new-checkout")).stdout) as Flag;
    expect(got.environments.live).toMatchObject({
      enabled: true,
      rollout: {
        weights: [
          { variant: "on", weight: 10 },
          { variant: "off", weight: 90 },
        ],
      },
    });

    const history = await cli("flag", "history", "-p", "shop", "-e", "quant_stg");
    expect(history.stdout).toMatch(/version 2 .*canary/);
    expect((await cli("flag", "disable", "-p", "shop", "-e", "live", "new-checkout", "-m", "kill")).code).toBe(0);
    expect((await cli("flag", "list", "-p", "shop")).stdout).toMatch(/new-checkout\s+boolean\s+off\s+on 10% \/ off 90%\s+off/);
  });

  it("writes a pinned snapshot file", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "sg-cli-flags-")), "flags.json");
    const res = await cli("flag", "snapshot", "-p", "shop", "-e", "live", "--version", "2", "-f", file);
    expect(res.code, res.stderr).toBe(0);
    const set = JSON.parse(readFileSync(file, "utf8")) as FlagSet;
    expect(set).toMatchObject({ version: 2, environment: "live" });
    expect(set.flags["new-checkout"]?.enabled).toBe(true);
  });

  it("schedules a change with --at, lists it and cancels it", async () => {
    const at = new Date(Date.now() + 3_600_000).toISOString();
    const scheduled = await cli("flag", "rollout", "-p", "shop", "-e", "quant", "new-checkout", "30", "--at", at);
    expect(scheduled.code, scheduled.stderr).toBe(0);
    expect(scheduled.stdout).toMatch(/Status:\s+scheduled/);
    expect(scheduled.stdout).toContain(at);
    const id = /Change:\s+(fcr\S+)/.exec(scheduled.stdout)?.[1] ?? "";
    const listed = JSON.parse((await cli("-o", "json", "flag", "changes", "-p", "shop", "--status", "scheduled")).stdout) as {
      items: FlagChangeRequest[];
    };
    expect(listed.items.map((c) => c.id)).toContain(id);
    const cancelled = await cli("flag", "cancel", "-p", "shop", id);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(cancelled.stdout).toMatch(/Status:\s+cancelled/);
    expect((await cli("flag", "enable", "-p", "shop", "-e", "quant", "new-checkout", "--at", "tomorrow")).code).toBe(2);
  });

  it("exits 2 on input the server refuses and 3 on an unknown flag", async () => {
    const bad = await cli("flag", "rollout", "-p", "shop", "-e", "live", "new-checkout", "150");
    expect(bad.code).toBe(2);
    const missing = await cli("flag", "get", "-p", "shop", "ghost");
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('Flag "ghost" does not exist');
  });
});
