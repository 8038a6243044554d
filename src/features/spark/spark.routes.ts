import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { ErrorBody } from "../../shared/api.ts";
import type { SparkService } from "./spark.service.ts";

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 413: ErrorBody, 422: ErrorBody };
const Params = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 64 }),
  name: Type.String({ minLength: 1, maxLength: 128 }),
});

const Finding = Type.Object({
  code: Type.String(),
  severity: Type.Union([Type.Literal("info"), Type.Literal("warning"), Type.Literal("critical")]),
  title: Type.String(),
  evidence: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()])),
  advice: Type.String(),
  setting: Type.Optional(Type.String()),
});

/** The model is large and versioned with the analyzer (spark.types.ts); findings, the part clients act on, are typed here. */
const Analysis = Type.Object(
  {
    app: Type.Unknown(),
    counts: Type.Unknown(),
    totals: Type.Unknown(),
    complete: Type.Boolean(),
    findings: Type.Array(Finding),
  },
  { additionalProperties: true },
);

const AnalysisView = Type.Object({
  runId: Type.String(),
  name: Type.String(),
  createdAt: Type.String(),
  analysis: Analysis,
  comparison: Type.Unknown({
    description: "duration, slower stages, new and resolved findings vs the previous run; null without one",
  }),
});

const ListItem = Type.Object({
  runId: Type.String(),
  name: Type.String(),
  complete: Type.Boolean(),
  critical: Type.Integer(),
  createdAt: Type.String(),
  findings: Type.Array(Finding),
  summary: Type.Unknown(),
});

export function sparkRoutes(deps: { spark: SparkService }): FastifyPluginAsyncTypebox {
  const { spark } = deps;
  return async (app) => {
    app.get(
      "/runs/:id/spark",
      {
        schema: {
          tags: ["spark"],
          summary: "Spark event-log analyses of a run, with their findings",
          params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
          response: { 200: Type.Object({ items: Type.Array(ListItem) }), ...errors },
        },
      },
      async (request) => ({ items: await spark.list(request.params.id) }),
    );

    app.get(
      "/runs/:id/spark/:name",
      {
        schema: {
          tags: ["spark"],
          summary:
            "One Spark analysis: application, stages, executors, failures, findings, and the comparison with the previous run",
          params: Params,
          response: { 200: AnalysisView, ...errors },
        },
      },
      async (request) => spark.get(request.params.id, request.params.name),
    );

    // The event log arrives as the raw body and is analysed while it streams: no buffering, no body limit but the
    // analyzer's own caps (413 for a decompression bomb).
    await app.register(async (plugin) => {
      plugin.removeAllContentTypeParsers();
      plugin.addContentTypeParser("*", (_request, payload, done) => done(null, payload));
      const raw = plugin.withTypeProvider<TypeBoxTypeProvider>();
      raw.put(
        "/runs/:id/spark/:name",
        {
          schema: {
            tags: ["spark"],
            summary:
              "Upload a Spark event log (plain, zstd, lz4, snappy or gzip; a rolling log's parts concatenated in N order) as the raw body",
            params: Params,
            querystring: Type.Object({
              appStatus: Type.Optional(
                Type.Union([Type.Literal("finished"), Type.Literal("in_progress")], {
                  description: "from a rolling log's appstatus file",
                }),
              ),
            }),
            response: { 200: AnalysisView, ...errors },
          },
        },
        async (request, reply) => {
          try {
            return await spark.upload(request.params.id, {
              name: request.params.name,
              body: request.body as AsyncIterable<Uint8Array>,
              ...(request.query.appStatus ? { appStatus: request.query.appStatus } : {}),
            });
          } catch (error) {
            // Refused before the body was read to its end (422, 413): close the connection after the answer rather
            // than read the rest of a possibly huge body, or leave the client's upload hanging on a kept-alive socket.
            reply.header("connection", "close");
            throw error;
          }
        },
      );
    });
  };
}
