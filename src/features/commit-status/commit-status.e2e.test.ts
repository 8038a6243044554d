import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../../../test/helpers/app.ts";
import type { ReportRun } from "../../shared/reports.api.ts";
import { type ProviderFake, startGithubFake } from "./providers.fake.ts";

const SHA = "1234567890abcdef1234567890abcdef12345678";

describe("commit statuses from a completed report run", () => {
  let t: TestApp;
  let github: ProviderFake;

  beforeAll(async () => {
    process.env.SG_TEST_GITHUB_TOKEN = "ghp_secret_from_env";
    github = await startGithubFake({ repository: "acme/shop", token: "ghp_secret_from_env", shas: [SHA] });
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
  });
  afterAll(async () => {
    await t.close();
    await github.close();
  });

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
});
