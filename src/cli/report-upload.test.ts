import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { fixturesDir } from "../../test/helpers/fixtures.ts";
import {
  type Handler,
  type RecordingServer,
  sendError,
  sendJson,
  startRecordingServer,
} from "../../test/helpers/recording-server.ts";
import type { ReportRun, ReportRunDetail } from "../shared/reports.api.ts";
import { run } from "./main.ts";

const FIXTURES = fixturesDir("reports");
const JUNIT = `${FIXTURES}/junit-jest-junit.xml`;
const LCOV = `${FIXTURES}/lcov-js-small.lcov`;
const SHA = "3f2a9c1d4e5b";

const reportRun: ReportRun = {
  id: "run_1",
  project: "shop",
  commitSha: SHA,
  branch: "main",
  kind: "unit",
  baseSha: null,
  ci: null,
  status: "open",
  files: [],
  summary: null,
  url: "/api/v1/report-runs/run_1",
  createdAt: "2026-11-25T10:00:00.000Z",
  completedAt: null,
};
const detail: ReportRunDetail = {
  ...reportRun,
  status: "complete",
  summary: {
    tests: { total: 6, passed: 1, failed: 4, errored: 0, skipped: 1, flaky: 0 },
    durationMs: 100,
    coverage: null,
    patchCoverage: null,
  },
  failures: [],
  flaky: [],
  slowest: [],
  comparison: null,
};
const CONFIG = `project: shop
environments:
  - name: live
    executor: { type: shell, config: { command: [echo] } }
    gates:
      - { type: tests_pass }
      - { type: max_flaky, count: 0 }
`;

/** A fake API for the whole upload conversation; `files` answers each PUT. */
function api(
  files: Handler = (_req, res) =>
    sendJson(res, 200, { name: "x", format: "junit", bytes: 1, cases: 6, coverageFiles: 0, warnings: [] }),
): Handler {
  return (req, res) => {
    if (req.url.includes("/files/")) return files(req, res);
    if (req.url.endsWith("/config")) {
      res.writeHead(200, { "content-type": "application/yaml" }).end(CONFIG);
      return;
    }
    if (req.url.endsWith("/report")) {
      return sendJson(res, 200, {
        commitSha: SHA,
        runs: [],
        kinds: [
          {
            kind: "unit",
            runs: ["run_1"],
            tests: detail.summary?.tests,
            failing: ["a", "b"],
            flaky: [],
            coverage: null,
            patchCoverage: null,
          },
        ],
      });
    }
    if (req.method === "POST" && req.url.endsWith("/report-runs")) return sendJson(res, 201, reportRun);
    return sendJson(res, 200, detail);
  };
}

let server: RecordingServer | undefined;
afterEach(async () => {
  vi.unstubAllEnvs();
  await server?.close();
  server = undefined;
});
beforeEach(() => {
  // Tests may themselves run in CI: none of its variables may leak into the defaults.
  for (const name of [
    "GITHUB_ACTIONS",
    "GITHUB_SHA",
    "GITHUB_REF_NAME",
    "GITHUB_HEAD_REF",
    "GITLAB_CI",
    "CI_COMMIT_SHA",
    "TF_BUILD",
    "BUILD_SOURCEVERSION",
    "JENKINS_URL",
    "GIT_COMMIT",
  ]) {
    vi.stubEnv(name, "");
  }
});

async function cli(handler: Handler, ...args: string[]) {
  server = await startRecordingServer(handler);
  let stdout = "";
  let stderr = "";
  const code = await run(
    ["node", "stagegate", "--server", server.url, "--token", "t0ken", "report", "upload", "-p", "shop", ...args],
    {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
    },
  );
  return { code, stdout, stderr, requests: server.requests };
}

describe("stagegate report upload", () => {
  it("exits 2 before calling the server when no file matches", async () => {
    const { code, stderr, requests } = await cli(api(), "--commit", SHA, "--branch", "main", `${FIXTURES}/nothing-*.xml`);

    expect(code).toBe(2);
    expect(stderr).toContain("warning: ");
    expect(stderr).toMatch(/error: no report file matched .*nothing-\*\.xml \(usage\)/);
    expect(requests).toHaveLength(0);
  });

  it("exits 2 naming the CI variables when neither --commit nor CI gives the commit, and on a bad SHA", async () => {
    const missing = await cli(api(), "--branch", "main", JUNIT);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("pass --commit <sha>; no CI variable (GITHUB_SHA/GITHUB_REF_NAME");

    const bad = await cli(api(), "--commit", "HEAD", "--branch", "main", JUNIT);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--commit must be a hex commit SHA of 7 to 64 digits, not "HEAD"');
  });

  it("takes the commit, branch and job link from GitLab's variables", async () => {
    vi.stubEnv("GITLAB_CI", "true");
    vi.stubEnv("CI_COMMIT_SHA", SHA);
    vi.stubEnv("CI_COMMIT_REF_NAME", "feature/cart");
    vi.stubEnv("CI_JOB_URL", "https://gitlab.example.com/shop/-/jobs/7");
    vi.stubEnv("CI_JOB_NAME", "unit");

    const { code, requests } = await cli(api(), "--kind", "integration", "--path-prefix", "/builds/shop/", JUNIT);

    expect(code).toBe(0);
    expect(JSON.parse(requests[0]?.body ?? "")).toEqual({
      commitSha: SHA,
      branch: "feature/cart",
      kind: "integration",
      ci: { provider: "gitlab", url: "https://gitlab.example.com/shop/-/jobs/7", job: "unit" },
      pathPrefix: "/builds/shop/",
    });
  });

  it("keeps going after a rejected file, completes the run with the others and exits 1", async () => {
    const files: Handler = (req, res) =>
      req.url.includes("junit-jest")
        ? sendError(res, 422, "invalid_report", "junit-jest-junit.xml is not a valid junit report at line 3, column 7: bad", {
            line: 3,
          })
        : sendJson(res, 200, { name: "lcov-js-small.lcov", format: "lcov", bytes: 1, cases: 0, coverageFiles: 3, warnings: [] });

    const { code, stdout, stderr, requests } = await cli(api(files), "--commit", SHA, "--branch", "main", JUNIT, LCOV);

    expect(code).toBe(1);
    expect(stderr).toContain("error: ");
    expect(stderr).toContain(
      "was rejected: junit-jest-junit.xml is not a valid junit report at line 3, column 7: bad (invalid_report)",
    );
    expect(stderr).toContain("as lcov-js-small.lcov: lcov, 3 source files");
    expect(requests.map((r) => `${r.method} ${r.url.replace(/\?.*/, "")}`)).toEqual([
      "POST /api/v1/projects/shop/report-runs",
      "PUT /api/v1/report-runs/run_1/files/junit-jest-junit.xml",
      "PUT /api/v1/report-runs/run_1/files/lcov-js-small.lcov",
      "POST /api/v1/report-runs/run_1/complete",
      "GET /api/v1/report-runs/run_1",
    ]);
    expect(stdout).toContain("Rejected files (1), not in this run:");
    expect(stdout).toContain("Report: http://127.0.0.1:");
  });

  it("exits 1 and prints each gate's verdict when --fail-on-gate gates fail", async () => {
    const { code, stdout } = await cli(api(), "--commit", SHA, "--branch", "main", "--fail-on-gate", "live", JUNIT);

    expect(code).toBe(1);
    expect(stdout).toContain(
      "gates of live: 1 of 2 failed\n  ✗ tests_pass: 2 unit test(s) fail on 3f2a9c1: a; b\n  ✓ max_flaky: 0 flaky unit test(s)",
    );
  });

  it("prints only the run detail on stdout with -o json, and the verdicts on stderr", async () => {
    const { code, stdout, stderr } = await cli(
      api(),
      "--commit",
      SHA,
      "--branch",
      "main",
      "--fail-on-gate",
      "live",
      "-o",
      "json",
      JUNIT,
    );

    expect(code).toBe(1);
    expect(JSON.parse(stdout)).toEqual(detail);
    expect(stderr).toContain("gates of live: 1 of 2 failed");
  });

  it("exits 2 without uploading when the gate environment does not exist", async () => {
    const { code, stderr, requests } = await cli(api(), "--commit", SHA, "--branch", "main", "--fail-on-gate", "prod", JUNIT);

    expect(code).toBe(2);
    expect(stderr).toContain('the project has no environment "prod" (it has: live)');
    expect(requests.map((r) => r.method)).toEqual(["GET"]);
  });

  it("exits 3 when the project does not exist", async () => {
    const { code, stderr } = await cli(
      (_req, res) => sendError(res, 404, "project_not_found", 'Project "shop" does not exist'),
      "--commit",
      SHA,
      "--branch",
      "main",
      JUNIT,
    );

    expect(code).toBe(3);
    expect(stderr).toContain("project_not_found");
  });
});
