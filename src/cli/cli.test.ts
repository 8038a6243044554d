import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { sampleDeployment as deployment, spawnBin } from "../../test/helpers/cli.ts";
import {
  closedPort,
  type Handler,
  type RecordingServer,
  sendError,
  sendJson,
  startRecordingServer,
} from "../../test/helpers/recording-server.ts";
import type { ProjectStatus } from "../shared/api.ts";
import { run } from "./main.ts";

const VERBS = [
  "project apply",
  "project list",
  "env list",
  "release create",
  "release list",
  "release get",
  "promote",
  "rollback",
  "status",
  "deploy get",
  "deploy list",
  "deploy log",
  "deploy cancel",
  "approve",
  "reject",
  "approvals list",
  "approvals get",
  "token create",
  "token list",
  "token revoke",
  "login",
  "logout",
  "user create",
  "user list",
  "member set",
  "member list",
  "member remove",
  "report upload",
  "audit list",
  "audit verify",
  "audit export",
];

async function runCli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await run(["node", "stagegate", ...args], {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
  });
  return { code, stdout, stderr };
}

let server: RecordingServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Runs the CLI in-process against a fake API answering with `handler`. */
async function against(handler: Handler) {
  server = await startRecordingServer(handler);
  const url = server.url;
  return { requests: server.requests, cli: (...args: string[]) => runCli("--server", url, "--token", "t0ken", ...args) };
}

describe("stagegate CLI, as a process", () => {
  it("exits 2 with a usage message when promote lacks its arguments", async () => {
    const { code, stderr } = await spawnBin("promote");

    expect(code).toBe(2);
    expect(stderr).toMatch(/error: (required option|missing required argument)/);
  });

  it("prints help naming every verb and exits 0", async () => {
    const { code, stdout } = await spawnBin("--help");

    expect(code).toBe(0);
    for (const verb of VERBS) expect(stdout).toContain(`stagegate ${verb}`);
  });
});

describe("stagegate CLI exit codes", () => {
  it("exits 1 and suggests --server when no server is running", async () => {
    const port = await closedPort();

    const { code, stderr } = await runCli("--server", `http://127.0.0.1:${port}`, "status", "-p", "demo");

    expect(code).toBe(1);
    expect(stderr).toMatch(/^error: cannot reach http:\/\/127\.0\.0\.1:\d+\/api\/v1\/projects\/demo\/status/);
    expect(stderr).toContain("--server");
    expect(stderr).toContain("(network_error)");
  });

  it("exits 2 on an unknown option, a bad flag value and a bad --server", async () => {
    expect((await runCli("deploy", "list", "-p", "demo", "--bogus")).code).toBe(2);
    expect((await runCli("release", "list", "-p", "demo", "--limit", "0")).code).toBe(2);
    expect((await runCli("--server", "localhost:8080", "project", "list")).code).toBe(2);
    expect((await runCli("deploy")).code).toBe(2);
  });

  it.each([
    [404, "release_not_found", 3],
    [401, "unauthorized", 3],
    [403, "forbidden", 3],
    [409, "lifecycle_violation", 1],
    [400, "invalid_request", 2],
    [503, "internal_error", 1],
  ])("maps HTTP %i %s to exit %i and prints the error with its code", async (status, errorCode, exit) => {
    const { cli } = await against((_req, res) => sendError(res, status, errorCode, "it went wrong"));

    const { code, stderr } = await cli("promote", "-p", "demo", "9.9.9", "--to", "live");

    expect(code).toBe(exit);
    expect(stderr).toContain(`error: it went wrong (${errorCode})`);
  });

  it("hints at --token when the server says unauthorized", async () => {
    const { cli } = await against((_req, res) => sendError(res, 401, "unauthorized", "missing or invalid token"));

    expect((await cli("project", "list")).stderr).toContain("hint: check --token or STAGEGATE_TOKEN");
  });
});

describe("stagegate CLI commands", () => {
  it("prints the raw response with -o json", async () => {
    const { cli, requests } = await against((_req, res) => sendJson(res, 200, deployment));

    const { code, stdout } = await cli("deploy", "get", "dep_1", "-o", "json");

    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual(deployment);
    expect(requests[0]?.headers.authorization).toBe("Bearer t0ken");
  });

  it("applies stagegate.yaml to the project named in the file and lists the changes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "stagegate-cli-"));
    const file = join(dir, "stagegate.yaml");
    writeFileSync(file, "project: demo\nname: Demo\nenvironments:\n  - name: quant\n  - name: live\n");
    const { cli, requests } = await against((_req, res) =>
      sendJson(res, 200, {
        project: { slug: "demo", name: "Demo", repoUrl: null, environments: ["quant", "live"], createdAt: "", updatedAt: "" },
        changed: true,
        changes: [
          { environment: "quant", change: "added" },
          { environment: "live", change: "unchanged" },
        ],
      }),
    );

    const { code, stdout } = await cli("project", "apply", "-f", file, "--prune");

    expect(code).toBe(0);
    expect(requests[0]).toMatchObject({ method: "PUT", url: "/api/v1/projects/demo/config?prune=true" });
    expect(requests[0]?.headers["content-type"]).toBe("application/yaml");
    expect(requests[0]?.body).toContain("name: quant");
    expect(stdout).toContain("1 environment changed");
    expect(stdout).toMatch(/quant\s+added/);
  });

  it("exits 2 when the config file is missing or names no project", async () => {
    const dir = mkdtempSync(join(tmpdir(), "stagegate-cli-"));
    writeFileSync(join(dir, "nameless.yaml"), "environments: []\n");

    const missing = await runCli("project", "apply", "-f", join(dir, "nope.yaml"));
    const nameless = await runCli("project", "apply", "-f", join(dir, "nameless.yaml"));

    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("cannot read");
    expect(nameless.code).toBe(2);
    expect(nameless.stderr).toContain('no "project:" key');
  });

  it("sends release flags as the release body", async () => {
    const { cli, requests } = await against((req, res) => sendJson(res, 201, { ...JSON.parse(req.body), createdAt: "" }));

    const { code } = await cli(
      "release",
      "create",
      "-p",
      "demo",
      "--version",
      "1.4.0",
      "--commit",
      "3f2a9c1",
      "--branch",
      "main",
      "--digest",
      "sha256:abc",
    );

    expect(code).toBe(0);
    expect(requests[0]?.url).toBe("/api/v1/projects/demo/releases");
    expect(JSON.parse(requests[0]?.body ?? "")).toEqual({
      version: "1.4.0",
      commitSha: "3f2a9c1",
      branch: "main",
      artifactDigest: "sha256:abc",
    });
  });

  it("shows status as a release × environment matrix under the current release of each environment", async () => {
    const status: ProjectStatus = {
      project: "demo",
      environments: [
        {
          environment: "quant",
          current: { version: "1.4.0", since: new Date().toISOString(), deploymentId: "d2", by: "ci" },
          last: null,
        },
        { environment: "live", current: null, last: null },
      ],
      releases: [
        {
          version: "1.4.0",
          createdAt: new Date().toISOString(),
          cells: [
            { environment: "quant", status: "succeeded" },
            { environment: "live", status: "pending_approval" },
          ],
        },
        { version: "1.3.0", createdAt: new Date().toISOString(), cells: [{ environment: "quant", status: "superseded" }] },
      ],
    };
    const { cli } = await against((_req, res) => sendJson(res, 200, status));

    const { code, stdout } = await cli("status", "-p", "demo");

    expect(code).toBe(0);
    const lines = stdout.trimEnd().split("\n");
    expect(lines[1]).toMatch(/^ {2}quant\s+1\.4\.0\s+since just now by ci$/);
    expect(lines[2]).toMatch(/^ {2}live\s+\(nothing deployed\)$/);
    expect(lines.slice(4)).toEqual([
      "RELEASE  CREATED   quant       live",
      "1.4.0    just now  succeeded   pending_approval",
      "1.3.0    just now  superseded  -",
    ]);
  });

  it.each([
    ["succeeded", 0],
    ["failed", 1],
  ] as const)("promote --wait streams the log and exits %s → %i", async (finalStatus, exit) => {
    const { cli } = await against((req, res) => {
      if (req.url.endsWith("/promote")) return sendJson(res, 201, deployment);
      if (req.url.includes("/log")) {
        res.writeHead(200, { "content-type": "text/plain" });
        return void res.end("2026-11-25T10:00:00.123Z stdout deploying\n2026-11-25T10:00:02.000Z stdout done\n");
      }
      sendJson(res, 200, { ...deployment, status: finalStatus, reason: finalStatus === "failed" ? "exit code 3" : null });
    });

    const { code, stdout } = await cli("promote", "-p", "demo", "1.4.0", "--to", "live", "--wait");

    expect(code).toBe(exit);
    expect(stdout).toContain("2026-11-25T10:00:00.123Z stdout deploying\n2026-11-25T10:00:02.000Z stdout done\n");
    expect(stdout).toContain(`(deploy of 1.4.0 to live): ${finalStatus}`);
  });

  it("uses ./data/admin-token when no token is given", async () => {
    const dir = mkdtempSync(join(tmpdir(), "stagegate-cli-"));
    mkdirSync(join(dir, "data"));
    writeFileSync(join(dir, "data", "admin-token"), "from-file\n");
    server = await startRecordingServer((_req, res) => sendJson(res, 200, { items: [], nextCursor: null }));
    const previous = process.cwd();
    const previousToken = process.env.STAGEGATE_TOKEN;
    delete process.env.STAGEGATE_TOKEN;
    process.chdir(dir);
    try {
      expect((await runCli("--server", server.url, "project", "list")).code).toBe(0);
    } finally {
      process.chdir(previous);
      if (previousToken !== undefined) process.env.STAGEGATE_TOKEN = previousToken;
    }

    expect(server.requests[0]?.headers.authorization).toBe("Bearer from-file");
  });
});
