import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../../src/cli/main.ts";
import type {
  ApplyConfigResult,
  Deployment,
  Environment,
  PageOf,
  Project,
  ProjectStatus,
  Release,
} from "../../src/shared/api.ts";
import { pipelineYaml, startTestApp, type TestApp } from "../helpers/app.ts";
import { type CliResult, runCli, spawnBin } from "../helpers/cli.ts";
import { testDialects } from "../helpers/db.ts";

const SHA = "3f2a9c1d4e5b6a7980";

/** A second project whose environments fail and hang, next to the healthy `shop` pipeline. */
const OPS_YAML = `project: ops
environments:
  - name: broken
    executor: { type: shell, config: { command: ["sh", "-c", "echo nope >&2; exit 4"] } }
  - name: slow
    requires: null
    executor: { type: shell, config: { command: ["sh", "-c", "echo started; sleep 30"] } }
`;

describe.each(testDialects())("the stagegate CLI against a listening server on %s", (dialect) => {
  let t: TestApp;
  let server: string;
  let dir: string;

  /** Runs the CLI in-process as `stagegate --server <url> --token <admin> …args`. */
  const cli = (...args: string[]): Promise<CliResult> => runCli(["--server", server, "--token", t.token, ...args]);
  /** `-o json` output must be JSON and nothing else. */
  const cliJson = async <T>(...args: string[]): Promise<T> => {
    const result = await cli(...args, "-o", "json");
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as T;
  };
  const ok = async (...args: string[]): Promise<string> => {
    const result = await cli(...args);
    expect(result.code, `stagegate ${args.join(" ")}\n${result.stderr}`).toBe(0);
    return result.stdout;
  };
  /** The deployment id printed by a table promote/rollback ("deployment dep_… (deploy of …"). */
  const deploymentIdIn = (stdout: string): string => /^deployment (\S+) \(/m.exec(stdout)?.[1] ?? "";

  beforeAll(async () => {
    t = await startTestApp(dialect);
    server = await t.app.http.listen({ port: 0, host: "127.0.0.1" });
    dir = await mkdtemp(join(tmpdir(), "stagegate-cli-e2e-"));
    await writeFile(join(dir, "stagegate.yaml"), pipelineYaml());
    await writeFile(join(dir, "ops.yaml"), OPS_YAML);
  });
  afterAll(async () => {
    await t?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("applies stagegate.yaml with a change per environment, and says unchanged when applied again", async () => {
    const file = join(dir, "stagegate.yaml");
    const first = await ok("project", "apply", "-f", file);
    expect(first).toContain("project shop applied: 3 environments changed");
    for (const env of ["quant", "quant_stg", "live"]) expect(first).toMatch(new RegExp(`^${env}\\s+added$`, "m"));

    const again = await ok("project", "apply", "-f", file);
    expect(again).toContain("project shop is up to date: nothing changed");
    for (const env of ["quant", "quant_stg", "live"]) expect(again).toMatch(new RegExp(`^${env}\\s+unchanged$`, "m"));
    const json = await cliJson<ApplyConfigResult>("project", "apply", "-f", file);
    expect(json.changed).toBe(false);
    expect(json.changes.map((c) => c.change)).toEqual(["unchanged", "unchanged", "unchanged"]);
  });

  it("lists projects, environments in lifecycle order, and releases", async () => {
    expect(await ok("project", "list")).toMatch(/^shop\s+Shop pipelines\s+quant → quant_stg → live\b/m);
    const projects = await cliJson<PageOf<Project>>("project", "list");
    expect(projects.items.map((p) => p.slug)).toEqual(["shop"]);

    const envs = await ok("env", "list", "-p", "shop");
    expect(envs.split("\n")[0]).toMatch(/^#\s+NAME\s+REQUIRES\s+CURRENT/);
    expect(envs).toMatch(/^1\s+quant_stg\s+quant\s+-/m);
    const envJson = await cliJson<{ items: Environment[] }>("env", "list", "-p", "shop");
    expect(envJson.items.map((e) => [e.name, e.requires])).toEqual([
      ["quant", null],
      ["quant_stg", "quant"],
      ["live", "quant_stg"],
    ]);

    const created = await ok("release", "create", "-p", "shop", "--version", "1.0.0", "--commit", SHA, "--branch", "main");
    expect(created).toContain("release 1.0.0 of shop recorded");
    expect(created).toMatch(/^Commit:\s+3f2a9c1d4e5b6a7980$/m);
    expect(await ok("release", "list", "-p", "shop")).toMatch(/^1\.0\.0\s+3f2a9c1d4e5b\s+main\b/m);
    const releases = await cliJson<PageOf<Release>>("release", "list", "-p", "shop");
    expect(releases.items.map((r) => [r.version, r.commitSha, r.branch])).toEqual([["1.0.0", SHA, "main"]]);
  });

  it("promotes environment by environment with --wait, refuses skipping one, and rolls back", async () => {
    const quant = await cli("promote", "-p", "shop", "1.0.0", "--to", "quant", "--wait");
    expect(quant.code, quant.stderr).toBe(0);
    expect(quant.stdout).toMatch(/^\S+Z stdout deploying 1\.0\.0 to quant$/m);
    expect(quant.stdout).toMatch(/^deployment \S+ \(deploy of 1\.0\.0 to quant\): succeeded/m);

    // With -o json the log goes to stderr and stdout holds the final deployment only.
    const staged = await cliJson<Deployment>("promote", "-p", "shop", "1.0.0", "--to", "quant_stg", "--wait");
    expect(staged).toMatchObject({ environment: "quant_stg", release: "1.0.0", status: "succeeded" });
    expect(await ok("deploy", "log", staged.id)).toMatch(/^\S+Z stdout deploying 1\.0\.0 to quant_stg$/m);

    await ok("release", "create", "-p", "shop", "--version", "1.1.0", "--commit", `${SHA}ff`, "--branch", "main");
    const skipping = await cli("promote", "-p", "shop", "1.1.0", "--to", "live");
    expect(skipping.code).toBe(1);
    expect(skipping.stdout).toBe("");
    expect(skipping.stderr).toContain("(lifecycle_violation)");
    expect(skipping.stderr).toContain("quant_stg");

    const live = await cli("promote", "-p", "shop", "1.0.0", "--to", "live", "--wait");
    expect(live.code, live.stderr).toBe(0);
    expect(live.stdout).toMatch(/^\S+Z stdout live 1\.0\.0$/m);
    for (const env of ["quant", "quant_stg", "live"]) {
      expect(await ok("promote", "-p", "shop", "1.1.0", "--to", env, "--wait")).toContain(`to ${env}): succeeded`);
    }

    const rollback = await cli("rollback", "-p", "shop", "--env", "live", "--wait");
    expect(rollback.code, rollback.stderr).toBe(0);
    expect(rollback.stdout).toMatch(/^\S+Z stdout live 1\.0\.0$/m);
    expect(rollback.stdout).toMatch(/^deployment \S+ \(rollback of 1\.0\.0 to live\): succeeded/m);

    const status = await ok("status", "-p", "shop");
    expect(status).toMatch(/^ {2}live\s+1\.0\.0\s+since /m);
    expect(status).toMatch(/^ {2}quant_stg\s+1\.1\.0\s+since /m);
    const json = await cliJson<ProjectStatus>("status", "-p", "shop");
    expect(json.environments.map((cell) => [cell.environment, cell.current?.version])).toEqual([
      ["quant", "1.1.0"],
      ["quant_stg", "1.1.0"],
      ["live", "1.0.0"],
    ]);
    expect(deploymentIdIn(rollback.stdout)).toBe(json.environments[2]?.current?.deploymentId);
  });

  it("exits 1 when a waited-for deploy fails, with the command's stderr in the log", async () => {
    await ok("project", "apply", "-f", join(dir, "ops.yaml"));
    await ok("release", "create", "-p", "ops", "--version", "1.0.0", "--commit", SHA, "--branch", "main");
    const failed = await cli("promote", "-p", "ops", "1.0.0", "--to", "broken", "--wait");
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/^\S+Z stderr nope$/m);
    expect(failed.stdout).toMatch(/^deployment \S+ \(deploy of 1\.0\.0 to broken\): failed: .*exit code 4/m);
  });

  it("cancels a running deploy", async () => {
    const started = await cliJson<Deployment>("promote", "-p", "ops", "1.0.0", "--to", "slow");
    // Cancel once the command is really running, so the runner (not the queue) has to stop it.
    const until = Date.now() + 10_000;
    while (!(await ok("deploy", "log", started.id)).includes("stdout started") && Date.now() < until) {
      await new Promise((done) => setTimeout(done, 50));
    }
    expect((await cliJson<Deployment>("deploy", "get", started.id)).status).toBe("running");

    const cancel = await cli("deploy", "cancel", started.id);
    expect(cancel.code, cancel.stderr).toBe(0);
    expect(cancel.stdout).toContain(`deployment ${started.id} (deploy of 1.0.0 to slow)`);
    // The runner stops the command after the request is answered, so the answer normally still says running.
    expect(cancel.stdout).toMatch(/cancel requested: the running step is being stopped|\): cancelled/);
    expect((await t.waitForDeployment(started.id)).status).toBe("cancelled");
    expect(await ok("deploy", "get", started.id)).toMatch(/^Status:\s+cancelled$/m);
    const again = await cli("deploy", "cancel", started.id);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("already ended");
  });

  it("exits 3 for an unknown project or a bad token, and 2 for a missing flag", async () => {
    const unknown = await cli("env", "list", "-p", "nope");
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toMatch(/^error: .*nope.*\(\w*not_found\)$/m);

    let stderr = "";
    const io = { stdout: { write: () => true }, stderr: { write: (text: string) => (stderr += text) } };
    expect(await run(["node", "stagegate", "--server", server, "--token", "sg_wrong", "project", "list"], io)).toBe(3);
    expect(stderr).toContain("hint: check --token or STAGEGATE_TOKEN");

    const missing = await cli("release", "create", "-p", "shop", "--version", "9.9.9", "--branch", "main");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("--commit");
    expect((await cliJson<PageOf<Release>>("release", "list", "-p", "shop")).items.map((r) => r.version)).not.toContain("9.9.9");
  });

  it("runs as the real bin in a child process", async () => {
    const { code, stdout, stderr } = await spawnBin("--server", server, "--token", t.token, "project", "list");
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/^SLUG\s+NAME\s+ENVIRONMENTS/);
    expect(stdout).toMatch(/^shop\s+Shop pipelines\s+quant → quant_stg → live\b/m);
    expect(stdout).toMatch(/^ops\s+\S+\s+broken → slow\b/m);
  });
});
