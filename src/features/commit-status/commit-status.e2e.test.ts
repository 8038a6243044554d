import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../../../test/helpers/app.ts";
import type { ReportRun } from "../../shared/reports.api.ts";
import { type ProviderFake, startGithubFake, startGitlabFake } from "./providers.fake.ts";

const SHA = "1234567890abcdef1234567890abcdef12345678";
const MAIN_SHA = "aaaaaaaaaabbbbbbbbbbccccccccccdddddddddd";
const CHANGE_SHA = "9999999999888888888877777777776666666666";
const ENVIRONMENTS = `environments:
  - name: quant
    executor: { type: shell, config: { command: ["true"] } }
`;
/** LCOV for one file whose lines ran as `hits` says. */
const lcov = (hits: number[]) => `TN:\nSF:/ci/src/a.ts\n${hits.map((h, i) => `DA:${i + 1},${h}`).join("\n")}\nend_of_record\n`;
const JUNIT = '<testsuite name="s"><testcase classname="a" name="ok"/><testcase classname="a" name="also"/></testsuite>';

describe("commit statuses from a completed report run", () => {
  let t: TestApp;
  let github: ProviderFake;
  let gitlab: ProviderFake;

  beforeAll(async () => {
    process.env.SG_TEST_GITHUB_TOKEN = "ghp_secret_from_env";
    github = await startGithubFake({ repository: "acme/shop", token: "ghp_secret_from_env", shas: [SHA, MAIN_SHA, CHANGE_SHA] });
    gitlab = await startGitlabFake({ projectId: 7, path: "acme/lab", token: "glpat-lab", shas: [MAIN_SHA, CHANGE_SHA] });
    process.env.SG_TEST_GITLAB_TOKEN = "glpat-lab";
    t = await startTestApp("sqlite", { STAGEGATE_PUBLIC_URL: "https://stagegate.example.com" });
    const yaml = `commitStatus: { provider: github, apiUrl: "${github.url}", repository: acme/shop, token: "\${env:SG_TEST_GITHUB_TOKEN}" }
environments:
  - name: quant
    executor: { type: shell, config: { command: ["true"] } }
`;
    const applied = await t.request({
      method: "PUT",
      url: "/api/v1/projects/shop/config",
      payload: yaml,
      headers: { "content-type": "application/yaml" },
    });
    expect(applied.statusCode, applied.body).toBe(200);
    const lab = await t.request({
      method: "PUT",
      url: "/api/v1/projects/lab/config",
      payload: `commitStatus: { provider: gitlab, apiUrl: "${gitlab.url}/api/v4", repository: "7", token: "\${env:SG_TEST_GITLAB_TOKEN}" }\n${ENVIRONMENTS}`,
      headers: { "content-type": "application/yaml" },
    });
    expect(lab.statusCode, lab.body).toBe(200);
  });
  afterAll(async () => {
    await t.close();
    await github.close();
    await gitlab.close();
  });

  /** A completed unit run of `project` with two passing tests and coverage of a 4-line file. */
  const runWith = async (project: string, commitSha: string, branch: string, hits: number[]) => {
    const run = (
      await t.request({ method: "POST", url: `/api/v1/projects/${project}/report-runs`, payload: { commitSha, branch } })
    ).json<ReportRun>();
    for (const [name, body] of [
      ["t.xml", JUNIT],
      ["lcov.info", lcov(hits)],
    ] as const) {
      const res = await t.request({
        method: "PUT",
        url: `/api/v1/report-runs/${run.id}/files/${name}`,
        payload: body,
        headers: { "content-type": "application/octet-stream" },
      });
      expect(res.statusCode, res.body).toBe(200);
    }
    const completed = await t.request({ method: "POST", url: `/api/v1/report-runs/${run.id}/complete` });
    expect(completed.statusCode, completed.body).toBe(200);
  };

  it("posts the run's verdict to GitHub through the job queue, without blocking the upload", async () => {
    const run = (
      await t.request({
        method: "POST",
        url: "/api/v1/projects/shop/report-runs",
        payload: { commitSha: SHA, branch: "feature/x" },
      })
    ).json<ReportRun>();
    const xml =
      '<testsuite name="s"><testcase classname="a" name="ok"/><testcase classname="a" name="bad"><failure message="no"/></testcase></testsuite>';
    await t.request({
      method: "PUT",
      url: `/api/v1/report-runs/${run.id}/files/t.xml`,
      payload: xml,
      headers: { "content-type": "application/xml" },
    });
    const completed = await t.request({ method: "POST", url: `/api/v1/report-runs/${run.id}/complete` });
    expect(completed.statusCode).toBe(200);
    await expect.poll(() => github.statuses.length, { timeout: 10_000 }).toBe(1);
    expect(github.statuses[0]).toMatchObject({
      state: "failure",
      context: "stagegate/unit",
      target_url: `https://stagegate.example.com/api/v1/report-runs/${run.id}`,
      description: expect.stringContaining("1 failed"),
    });
    expect(github.requests[0]?.headers.authorization).toBe("Bearer ghp_secret_from_env");
  });

  it.each([
    ["GitHub", "shop", () => github],
    ["GitLab", "lab", () => gitlab],
  ] as const)("shows on %s the coverage delta against the latest run on main", async (_, project, fake) => {
    const before = fake().statuses.length;
    await runWith(project, MAIN_SHA, "main", [1, 1, 0, 0]);
    await expect.poll(() => fake().statuses.length, { timeout: 10_000 }).toBe(before + 1);
    // The first run of main has nothing to compare with: no delta.
    expect(fake().statuses.at(-1)?.description).toBe("2 passed · lines 50%");
    await runWith(project, CHANGE_SHA, "feature/y", [1, 1, 1, 0]);
    await expect.poll(() => fake().statuses.length, { timeout: 10_000 }).toBe(before + 2);
    expect(fake().statuses.at(-1)?.description).toBe("2 passed · lines 75% (+25)");
    expect(fake().requests.at(-1)?.url).toContain(`/statuses/${CHANGE_SHA}`);
  });
});
