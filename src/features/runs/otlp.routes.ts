import { gunzipSync } from "node:zlib";
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { STATUS_BY_CODE } from "../../http/errors.ts";
import { DomainError } from "../../shared/errors.ts";
import { bearerOf, type IngestAuth } from "./ingest.auth.ts";
import { ingestLimit } from "./ingest-limit.routes.ts";
import { decodeExportRequest, encodeProtobuf, OtlpTypes } from "./otlp.proto.ts";
import type { OtlpOutcome, OtlpService } from "./otlp.service.ts";

const PROTOBUF = "application/x-protobuf";
/** Largest body after gunzip; the compressed body is bounded by the server's body limit. */
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
  return (request.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase() === PROTOBUF;
}

function sendStatus(request: FastifyRequest, reply: FastifyReply, http: number, grpc: number, message: string) {
  reply.code(http);
  if (isProtobuf(request))
    return reply.type(PROTOBUF).send(Buffer.from(encodeProtobuf(OtlpTypes.status, { code: grpc, message })));
  return reply.type("application/json").send({ code: grpc, message });
}

function decodeBody(request: FastifyRequest, signal: Signal): unknown {
  let body = request.body as Buffer;
  const encoding = (request.headers["content-encoding"] ?? "identity").toLowerCase();
  if (encoding === "gzip") {
    try {
      body = gunzipSync(body, { maxOutputLength: MAX_DECOMPRESSED });
    } catch (error) {
      const tooLarge = (error as { code?: string }).code === "ERR_BUFFER_TOO_LARGE";
      throw new DomainError(
        tooLarge ? "payload_too_large" : "invalid_request",
        tooLarge ? `The body expands beyond ${MAX_DECOMPRESSED} bytes` : "Content-Encoding says gzip but the body is not gzip",
      );
    }
  } else if (encoding !== "identity") {
    throw new DomainError("unsupported_media_type", `Content-Encoding ${encoding} is not supported; send gzip or none`);
  }
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

    for (const signal of ["logs", "metrics"] as const) {
      app.post(
        `/v1/${signal}`,
        {
          config: { public: true },
          // OTLP/HTTP: 429 + Retry-After is retryable, and the exporter waits that long (a google.rpc.Status body).
          onRequest: ingestLimit(deps.auth, (request, reply, message) =>
            sendStatus(request, reply, 429, GRPC.resourceExhausted, message),
          ),
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
            const body = decodeBody(request, signal);
            const outcome =
              signal === "logs"
                ? await deps.otlp.exportLogs(body, credentials)
                : await deps.otlp.exportMetrics(body, credentials);
            return answer(request, reply, signal, outcome);
          } catch (error) {
            if (!(error instanceof DomainError)) throw error;
            const http = STATUS_BY_CODE[error.code];
            const grpc =
              http === 401
                ? GRPC.unauthenticated
                : http === 403
                  ? GRPC.permissionDenied
                  : http === 404
                    ? GRPC.notFound
                    : GRPC.invalidArgument;
            return sendStatus(request, reply, http, grpc, error.message);
          } finally {
            inFlight--;
          }
        },
      );
    }
  };
}
