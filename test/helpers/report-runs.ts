import { expect } from "vitest";
import type { ReportRun } from "../../src/shared/reports.api.ts";
import type { TestApp } from "./app.ts";

/**
 * A report run's three calls (open, upload a file, complete) on a test app, each expecting success. `app` is read on
 * every call, so the helper can be made before `beforeAll` starts the app.
 */
export function reportRunCalls(app: () => TestApp, project: string) {
  return {
    async open(commitSha: string, extra: Record<string, unknown> = {}): Promise<ReportRun> {
      const res = await app().request({
        method: "POST",
        url: `/api/v1/projects/${project}/report-runs`,
        payload: { commitSha, branch: "main", ...extra },
      });
      expect(res.statusCode, res.body).toBe(201);
      return res.json<ReportRun>();
    },
    async put(runId: string, name: string, body: string): Promise<void> {
      const res = await app().request({
        method: "PUT",
        url: `/api/v1/report-runs/${runId}/files/${name}`,
        payload: body,
        headers: { "content-type": "application/octet-stream" },
      });
      expect(res.statusCode, res.body).toBe(200);
    },
    async complete(runId: string): Promise<ReportRun> {
      const res = await app().request({ method: "POST", url: `/api/v1/report-runs/${runId}/complete` });
      expect(res.statusCode, res.body).toBe(200);
      return res.json<ReportRun>();
    },
  };
}
