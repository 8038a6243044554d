import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { STATUS_BY_CODE } from "../../http/errors.ts";
import { DomainError } from "../../shared/errors.ts";
import { bearerOf, type IngestAuth } from "./ingest.auth.ts";
import { acceptBodies, decodeContentEncoding, mediaTypeOf } from "./ingest-body.routes.ts";
import { ingestLimit } from "./ingest-limit.routes.ts";
import { decodeExportRequest, encodeProtobuf, OtlpTypes } from "./otlp.proto.ts";
import type { OtlpOutcome, OtlpService } from "./otlp.service.ts";

const PROTOBUF = "application/x-protobuf";
const ACCEPTED_TYPES = [PROTOBUF, "application/json"];
/**
 * Largest body after gunzip; the compressed body is bounded by the server's body limit. Above that limit on purpose:
 * the official exporters gzip batches that compress tenfold and more.
 */
const MAX_DECOMPRESSED = 64 * 1024 * 1024;
/** Export requests handled at once by this process; beyond it the answer is 503 + Retry-After (OTLP retries). */
const MAX_IN_FLIGHT = 64;
const RETRY_AFTER_S = 1;

type Signal = "logs" | "metrics";

/** gRPC status codes used in google.rpc.Status bodies. */
const GRPC = {
  invalidArgument: 3,
  notFound: 5,
  permissionDenied: 7,
  resourceExhausted: 8,
  internal: 13,
  unavailable: 14,
  unauthenticated: 16,
};

function isProtobuf(request: FastifyRequest): boolean {
  return mediaTypeOf(request) === PROTOBUF;
}

function grpcCodeOf(http: number): number {
  switch (http) {
    case 401:
      return GRPC.unauthenticated;
    case 403:
      return GRPC.permissionDenied;
    case 404:
      return GRPC.notFound;
    case 413:
    case 429:
      // gRPC's own answer to a message over its size limit.
      return GRPC.resourceExhausted;
    case 503:
      return GRPC.unavailable;
    default:
      return http >= 500 ? GRPC.internal : GRPC.invalidArgument;
  }
}

/**
 * Every error of the OTLP routes, including those Fastify raises before the handler (a body over the limit, a
 * Content-Type without a parser), as OTLP/HTTP says: a google.rpc.Status in the request's encoding.
 */
function sendError(error: FastifyError, request: FastifyRequest, reply: FastifyReply, bodyLimit: number) {
  if (error instanceof DomainError) {
    const http = STATUS_BY_CODE[error.code];
    return sendStatus(request, reply, http, grpcCodeOf(http), error.message);
  }
  switch (error.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return sendStatus(
        request,
        reply,
        413,
        GRPC.resourceExhausted,
        `The body is larger than the limit of ${bodyLimit} bytes; export smaller batches or gzip them`,
      );
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return sendStatus(
        request,
        reply,
        415,
        GRPC.invalidArgument,
        `Content-Type ${request.headers["content-type"] ?? "(none)"} is not accepted; OTLP/HTTP takes ${ACCEPTED_TYPES.join(" or ")}`,
      );
  }
  const http = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
  if (http === 500) {
    request.log.error({ err: error }, "unhandled error");
    return sendStatus(request, reply, 500, GRPC.internal, "Something went wrong on the server; the error is in the server log");
  }
  return sendStatus(request, reply, http, grpcCodeOf(http), error.message);
}

function sendStatus(request: FastifyRequest, reply: FastifyReply, http: number, grpc: number, message: string) {
  reply.code(http);
  if (isProtobuf(request))
    return reply.type(PROTOBUF).send(Buffer.from(encodeProtobuf(OtlpTypes.status, { code: grpc, message })));
  return reply.type("application/json").send({ code: grpc, message });
}

async function decodeBody(request: FastifyRequest, signal: Signal): Promise<unknown> {
  const body = await decodeContentEncoding(request.body as Buffer, request.headers["content-encoding"], MAX_DECOMPRESSED);
  if (isProtobuf(request)) {
    try {
      return decodeExportRequest(signal === "logs" ? OtlpTypes.logsRequest : OtlpTypes.metricsRequest, body);
    } catch (error) {
      throw new DomainError(
        "invalid_request",
        `The body is not a protobuf Export${signal === "logs" ? "Logs" : "Metrics"}ServiceRequest: ${(error as Error).message}`,
      );
    }
  }
  try {
    return JSON.parse(body.toString("utf8"));
  } catch (error) {
    throw new DomainError("invalid_request", `The body is not JSON: ${(error as Error).message}`);
  }
}

function answer(request: FastifyRequest, reply: FastifyReply, signal: Signal, outcome: OtlpOutcome) {
  const counted = signal === "logs" ? "rejectedLogRecords" : "rejectedDataPoints";
  // The spec: leave partial_success unset when everything was accepted.
  const partial = outcome.rejected > 0 ? { [counted]: outcome.rejected, errorMessage: outcome.errorMessage } : undefined;
  reply.code(200);
  if (isProtobuf(request)) {
    const type = signal === "logs" ? OtlpTypes.logsResponse : OtlpTypes.metricsResponse;
    return reply.type(PROTOBUF).send(Buffer.from(encodeProtobuf(type, partial ? { partialSuccess: partial } : {})));
  }
  // Proto3 JSON writes int64 as a decimal string.
  return reply
    .type("application/json")
    .send(partial ? { partialSuccess: { ...partial, [counted]: String(outcome.rejected) } } : {});
}

/** OTLP/HTTP receivers at /v1/logs and /v1/metrics (https://opentelemetry.io/docs/specs/otlp/#otlphttp). */
export function otlpRoutes(deps: { otlp: OtlpService; auth: IngestAuth }): FastifyPluginAsync {
  return async (app) => {
    let inFlight = 0;
    app.removeContentTypeParser("application/json");
    app.addContentTypeParser(["application/json", PROTOBUF], { parseAs: "buffer" }, (_request, body, done) => done(null, body));
    app.setErrorHandler((error: FastifyError, request, reply) =>
      sendError(error, request, reply, request.routeOptions.bodyLimit ?? app.initialConfig.bodyLimit ?? 0),
    );

    for (const signal of ["logs", "metrics"] as const) {
      app.post(
        `/v1/${signal}`,
        {
          config: { public: true },
          // OTLP/HTTP: 429 + Retry-After is retryable, and the exporter waits that long (a google.rpc.Status body).
          onRequest: ingestLimit(deps.auth, (request, reply, message) =>
            sendStatus(request, reply, 429, GRPC.resourceExhausted, message),
          ),
          // A type or an encoding it cannot read is refused before the body is read.
          preParsing: acceptBodies(ACCEPTED_TYPES),
          schema: {
            tags: ["runs"],
            summary: `OTLP/HTTP ${signal} export (JSON or protobuf, gzip); the run from resource attribute stagegate.run.id or the ingest token`,
          },
        },
        async (request, reply) => {
          if (inFlight >= MAX_IN_FLIGHT) {
            reply.header("retry-after", String(RETRY_AFTER_S));
            return sendStatus(request, reply, 503, GRPC.unavailable, "The server is busy; retry after the Retry-After delay");
          }
          inFlight++;
          try {
            const credentials = await deps.auth.credentials(bearerOf(request.headers.authorization));
            const body = await decodeBody(request, signal);
            const outcome =
              signal === "logs"
                ? await deps.otlp.exportLogs(body, credentials)
                : await deps.otlp.exportMetrics(body, credentials);
            return answer(request, reply, signal, outcome);
          } finally {
            inFlight--;
          }
        },
      );
    }
  };
}
