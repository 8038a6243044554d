import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { ErrorBody, Nullable, Page, PageQuery, Slug } from "../../shared/api.ts";
import { decodeCursor } from "../../shared/pagination.ts";
import {
  CoverageEntry,
  CreateReportRunBody,
  ReportFile,
  ReportRun,
  ReportRunDetail,
  TestCase,
} from "../../shared/reports.api.ts";
import { isReportFormat } from "./reports.ingest.ts";
import type { ReportQueries } from "./reports.queries.ts";
import type { ReportsService } from "./reports.service.ts";
import type { ReportViews } from "./reports.views.ts";

const CASE_ID = "^[A-Za-z0-9_-]{1,64}\\.\\d{1,9}$";
const TestCaseDetail = Type.Intersect([
  TestCase,
  Type.Object({ systemOut: Nullable(Type.String()), systemErr: Nullable(Type.String()) }),
]);
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 409: ErrorBody, 413: ErrorBody, 422: ErrorBody };

export function reportsRoutes(deps: {
  reports: ReportsService;
  queries: ReportQueries;
  views: ReportViews;
}): FastifyPluginAsyncTypebox {
  const { reports, queries, views } = deps;
  return async (app) => {
    app.post(
      "/projects/:slug/report-runs",
      {
        schema: {
          tags: ["reports"],
          summary: "Open a report run for a commit (one CI job, shard or retry); then PUT its files and POST …/complete",
          params: Type.Object({ slug: Slug }),
          body: CreateReportRunBody,
          response: { 201: ReportRun, ...errors },
        },
      },
      async (request, reply) => {
        reply.code(201);
        return reports.create(request.params.slug, request.body, request.actor?.name ?? null);
      },
    );

    // Files arrive as raw bodies of any type and are parsed while they stream: no buffering, no multipart.
    await app.register(async (plugin) => {
      plugin.removeAllContentTypeParsers();
      plugin.addContentTypeParser("*", (_request, payload, done) => done(null, payload));
      const raw = plugin.withTypeProvider<TypeBoxTypeProvider>();
      raw.put(
        "/report-runs/:id/files/:name",
        {
          schema: {
            tags: ["reports"],
            summary: "Upload one report file (JUnit XML or coverage) as the raw body; Content-Encoding: gzip accepted",
            params: Type.Object({
              id: Type.String({ minLength: 1, maxLength: 64 }),
              name: Type.String({ minLength: 1, maxLength: 255 }),
            }),
            querystring: Type.Object({ format: Type.Optional(Type.String({ default: "auto" })) }),
            response: { 200: ReportFile, ...errors },
          },
        },
        async (request) => {
          const format = request.query.format ?? "auto";
          if (format !== "auto" && !isReportFormat(format)) {
            throw Object.assign(
              new Error(`format must be auto, junit, lcov, cobertura, jacoco, istanbul, istanbul-summary or go-coverprofile`),
              { statusCode: 400 },
            );
          }
          const encoding = request.headers["content-encoding"];
          return reports.upload(request.params.id, {
            name: request.params.name,
            format,
            gzip: encoding === "gzip" || encoding === "x-gzip",
            body: request.body as AsyncIterable<Buffer>,
          });
        },
      );
    });

    app.post(
      "/report-runs/:id/complete",
      {
        schema: {
          tags: ["reports"],
          summary: "Close a run: totals, merged coverage, patch coverage",
          params: IdParams,
          response: { 200: ReportRun, ...errors },
        },
      },
      async (request) => reports.complete(request.params.id),
    );

    app.get(
      "/report-runs/:id",
      {
        schema: {
          tags: ["reports"],
          summary: "A run's report: totals, failures, flaky, slowest, comparison with its base",
          params: IdParams,
          response: { 200: ReportRunDetail, ...errors },
        },
      },
      async (request, reply) => {
        const json = await queries.detailJson(request.params.id);
        // Already JSON text (the stored page spliced in): Fastify sends a string as it is, without serialising it again,
        // and the type provider only knows the object form of the body.
        return reply.type("application/json; charset=utf-8").send(json as unknown as ReportRunDetail);
      },
    );

    app.get(
      "/report-runs/:id/tests",
      {
        schema: {
          tags: ["reports"],
          summary: "Test cases of a run; filter by status and name",
          params: IdParams,
          querystring: Type.Object({
            status: Type.Optional(
              Type.Union([
                Type.Literal("passed"),
                Type.Literal("failed"),
                Type.Literal("errored"),
                Type.Literal("skipped"),
                Type.Literal("flaky"),
              ]),
            ),
            q: Type.Optional(Type.String({ maxLength: 200 })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
            cursor: Type.Optional(Type.String({ pattern: CASE_ID })),
          }),
          response: { 200: Page(TestCase), ...errors },
        },
      },
      async (request) =>
        queries.tests(request.params.id, {
          ...(request.query.status ? { status: request.query.status } : {}),
          ...(request.query.q ? { q: request.query.q } : {}),
          limit: request.query.limit ?? 100,
          ...(request.query.cursor ? { cursor: request.query.cursor } : {}),
        }),
    );

    app.get(
      "/report-runs/:id/tests/:caseId",
      {
        schema: {
          tags: ["reports"],
          summary: "One test case of a run whole (lists cut long stacks): message, stack and captured output",
          params: Type.Object({ id: IdParams.properties.id, caseId: Type.String({ pattern: CASE_ID }) }),
          response: { 200: TestCaseDetail, ...errors },
        },
      },
      async (request) => queries.testCase(request.params.id, request.params.caseId),
    );

    app.get(
      "/report-runs/:id/coverage",
      {
        schema: {
          tags: ["reports"],
          summary: "Coverage per file (path prefix filter), with uncovered line ranges",
          params: IdParams,
          querystring: Type.Object({
            path: Type.Optional(Type.String({ maxLength: 1000 })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 200 })),
            cursor: Type.Optional(Type.String()),
          }),
          response: { 200: Page(CoverageEntry), ...errors },
        },
      },
      async (request) =>
        queries.coverage(request.params.id, {
          limit: request.query.limit ?? 200,
          ...(request.query.path ? { path: request.query.path } : {}),
          ...(request.query.cursor ? { after: request.query.cursor } : {}),
        }),
    );

    app.get(
      "/projects/:slug/report-runs",
      {
        schema: {
          tags: ["reports"],
          summary: "Report runs, newest first; filter by branch, kind, commit",
          params: Type.Object({ slug: Slug }),
          querystring: Type.Intersect([
            PageQuery,
            Type.Object({
              branch: Type.Optional(Type.String()),
              kind: Type.Optional(Type.String()),
              commit: Type.Optional(Type.String()),
            }),
          ]),
          response: { 200: Page(ReportRun), ...errors },
        },
      },
      async (request) =>
        views.list(request.params.slug, {
          ...(request.query.branch ? { branch: request.query.branch } : {}),
          ...(request.query.kind ? { kind: request.query.kind } : {}),
          ...(request.query.commit ? { commitSha: request.query.commit } : {}),
          limit: request.query.limit ?? 50,
          cursor: decodeCursor(request.query.cursor),
        }),
    );
  };
}
