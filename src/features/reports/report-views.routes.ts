import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { ErrorBody, Nullable, Slug } from "../../shared/api.ts";
import { ReportRun, TestCounts, TestHistory } from "../../shared/reports.api.ts";
import type { ReportViews } from "./reports.views.ts";

const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody };

const CommitKind = Type.Object({
  kind: Type.String(),
  runs: Type.Array(Type.String()),
  tests: TestCounts,
  failing: Type.Array(Type.String()),
  flaky: Type.Array(Type.String()),
  coverage: Nullable(
    Type.Object({
      lines: Type.Union([Type.Number(), Type.Null()]),
      branches: Type.Union([Type.Number(), Type.Null()]),
      runId: Type.String(),
    }),
  ),
  patchCoverage: Nullable(Type.Object({ pct: Type.Union([Type.Number(), Type.Null()]), runId: Type.String() })),
});

export function reportViewsRoutes(views: ReportViews): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      "/projects/:slug/commits/:sha/report",
      {
        schema: {
          tags: ["reports"],
          summary: "A commit's reports: its runs and, per kind, the verdict merged over retries and shards",
          params: Type.Object({ slug: Slug, sha: Type.String({ pattern: "^[0-9a-fA-F]{7,64}$" }) }),
          response: {
            200: Type.Object({ commitSha: Type.String(), runs: Type.Array(ReportRun), kinds: Type.Array(CommitKind) }),
            ...errors,
          },
        },
      },
      async (request) => views.commitReport(request.params.slug, request.params.sha),
    );

    app.get(
      "/projects/:slug/flaky-tests",
      {
        schema: {
          tags: ["reports"],
          summary: "The flakiest tests: how many recent commits saw each one both fail and pass",
          params: Type.Object({ slug: Slug }),
          querystring: Type.Object({
            branch: Type.Optional(Type.String({ maxLength: 255 })),
            runs: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
          }),
          response: {
            200: Type.Object({
              items: Type.Array(Type.Object({ name: Type.String(), commits: Type.Integer(), lastSeen: Type.String() })),
            }),
            ...errors,
          },
        },
      },
      async (request) =>
        views.flakyTests(request.params.slug, {
          ...(request.query.branch ? { branch: request.query.branch } : {}),
          runs: request.query.runs ?? 100,
          limit: request.query.limit ?? 50,
        }),
    );

    app.get(
      "/projects/:slug/tests/:key/history",
      {
        schema: {
          tags: ["reports"],
          summary: "The last outcomes of one test (its `key` from a run's tests), newest first",
          params: Type.Object({ slug: Slug, key: Type.String({ pattern: "^[0-9a-f]{8,64}$" }) }),
          querystring: Type.Object({
            branch: Type.Optional(Type.String({ maxLength: 255 })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 30 })),
          }),
          response: { 200: TestHistory, ...errors },
        },
      },
      async (request) =>
        views.history(request.params.slug, {
          testKey: request.params.key,
          ...(request.query.branch ? { branch: request.query.branch } : {}),
          limit: request.query.limit ?? 30,
        }),
    );

    app.get(
      "/projects/:slug/report-trends",
      {
        schema: {
          tags: ["reports"],
          summary: "Pass rate, duration, coverage and test count over the last runs of a branch and kind",
          params: Type.Object({ slug: Slug }),
          querystring: Type.Object({
            branch: Type.String({ minLength: 1, maxLength: 255 }),
            kind: Type.Optional(Type.String({ maxLength: 40, default: "unit" })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 30 })),
          }),
          response: {
            200: Type.Object({
              items: Type.Array(
                Type.Object({
                  runId: Type.String(),
                  commitSha: Type.String(),
                  at: Type.String(),
                  tests: Type.Integer(),
                  passRate: Type.Union([Type.Number(), Type.Null()]),
                  durationMs: Type.Number(),
                  lineCoverage: Type.Union([Type.Number(), Type.Null()]),
                }),
              ),
            }),
            ...errors,
          },
        },
      },
      async (request) =>
        views.trends(request.params.slug, {
          branch: request.query.branch,
          kind: request.query.kind ?? "unit",
          limit: request.query.limit ?? 30,
        }),
    );
  };
}
