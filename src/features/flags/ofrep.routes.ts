import type { ServerResponse } from "node:http";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { FastifyReply, FastifyRequest } from "fastify";
import { Type } from "typebox";
import {
  FlagKey,
  FlagSetSchema,
  OfrepBulkFailure,
  OfrepBulkSuccess,
  OfrepFailure,
  OfrepSuccess,
} from "../../shared/flags/flags.api.ts";
import type { Evaluation, EvaluationContext } from "../../shared/flags/flags.types.ts";
import { murmur3 } from "../../shared/flags/murmur3.ts";
import type { RateLimiter } from "../../shared/rate-limit.ts";
import type { FlagServing } from "./flags.serving.ts";
import type { SdkScope } from "./flags.types.ts";
import type { SdkAuthResult, SdkKeysService } from "./sdk-keys.service.ts";

/**
 * The OpenFeature Remote Evaluation Protocol (https://github.com/open-feature/protocol, service/openapi.yaml) plus the
 * SDK sync endpoint. Authenticated by an environment-scoped SDK key in `Authorization: Bearer` or `X-API-Key`; 401/403/
 * 429 carry no body, as the protocol says. Errors are OFREP-shaped (`key`, `errorCode`, `errorDetails`), not ours.
 */
const STREAM_TTL_S = 24 * 3600;
const INACTIVITY_DELAY_S = 120;
const HEARTBEAT_MS = 15_000;

const KeyParams = Type.Object({ key: Type.String({ maxLength: 200 }) });
const Body = Type.Unknown({ description: "{ context?: { targetingKey?, …attributes } }" });

function sdkSecret(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header !== undefined) return /^Bearer\s+(\S+)$/i.exec(header)?.[1];
  const apiKey = request.headers["x-api-key"];
  return typeof apiKey === "string" ? apiKey : undefined;
}

type ContextResult =
  | { ok: true; context: EvaluationContext }
  | { ok: false; errorCode: "PARSE_ERROR" | "INVALID_CONTEXT"; errorDetails: string };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function readContext(body: unknown): ContextResult {
  if (body === undefined || body === null) return { ok: true, context: {} };
  if (!isObject(body)) return { ok: false, errorCode: "PARSE_ERROR", errorDetails: "the body must be a JSON object { context }" };
  const context = body.context;
  if (context === undefined || context === null) return { ok: true, context: {} };
  if (!isObject(context)) return { ok: false, errorCode: "INVALID_CONTEXT", errorDetails: "context must be a JSON object" };
  return { ok: true, context };
}

function statusOf(evaluation: Evaluation): 200 | 400 | 404 | 500 {
  if (!("errorCode" in evaluation)) return 200;
  if (evaluation.errorCode === "FLAG_NOT_FOUND") return 404;
  return evaluation.errorCode === "GENERAL" ? 500 : 400;
}

export function ofrepRoutes(deps: {
  serving: FlagServing;
  sdkKeys: SdkKeysService;
  limiter: RateLimiter;
}): FastifyPluginAsyncTypebox {
  const { serving, sdkKeys, limiter } = deps;
  const streams = new Set<ServerResponse>();

  /** Answers 401/403/429 itself (no body) and returns undefined; else the caller's scope. */
  async function admit(request: FastifyRequest, reply: FastifyReply, result?: SdkAuthResult): Promise<SdkScope | undefined> {
    const auth = result ?? (await sdkKeys.authenticate(sdkSecret(request)));
    if (!auth.ok) {
      reply.code(auth.status).send();
      return undefined;
    }
    const wait = limiter.take(auth.scope.keyId);
    if (wait > 0) {
      reply.code(429).header("retry-after", String(wait)).send();
      return undefined;
    }
    return auth.scope;
  }

  return async (app) => {
    // Malformed JSON and the like: OFREP's PARSE_ERROR, not the API's error shape.
    app.setErrorHandler((error: { statusCode?: number; message: string }, request, reply) => {
      const status = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
      if (status >= 500) request.log.error({ err: error }, "OFREP request failed");
      const key = (request.params as { key?: string } | undefined)?.key;
      const errorCode = status === 500 ? "GENERAL" : "PARSE_ERROR";
      reply
        .code(status === 413 ? 400 : status)
        .send(key ? { key, errorCode, errorDetails: error.message } : { errorCode, errorDetails: error.message });
    });
    app.addHook("preClose", async () => {
      for (const stream of streams) stream.end();
      streams.clear();
    });

    app.post(
      "/ofrep/v1/evaluate/flags/:key",
      {
        schema: {
          tags: ["ofrep"],
          summary: "OFREP: evaluate one flag for a context",
          params: KeyParams,
          body: Body,
          response: { 200: OfrepSuccess, 400: OfrepFailure, 404: OfrepFailure, 500: OfrepFailure },
        },
      },
      async (request, reply) => {
        const scope = await admit(request, reply);
        if (!scope) return reply;
        const { key } = request.params;
        const parsed = readContext(request.body);
        if (!parsed.ok) return reply.code(400).send({ key, errorCode: parsed.errorCode, errorDetails: parsed.errorDetails });
        const served = await serving.current(scope.environmentId);
        const evaluation = served.compiled.evaluate(key, parsed.context);
        if (!("errorCode" in evaluation) || evaluation.errorCode !== "FLAG_NOT_FOUND")
          serving.evaluated(scope.environmentId, [key]);
        reply.code(statusOf(evaluation));
        if ("errorCode" in evaluation) {
          return { key, errorCode: evaluation.errorCode, errorDetails: evaluation.errorDetails };
        }
        return { ...evaluation, metadata: { flagSetVersion: served.version } };
      },
    );

    app.post(
      "/ofrep/v1/evaluate/flags",
      {
        schema: {
          tags: ["ofrep"],
          summary: "OFREP: evaluate every flag of the environment (ETag / If-None-Match → 304; SSE change stream)",
          body: Body,
          response: { 200: OfrepBulkSuccess, 304: Type.Null(), 400: OfrepBulkFailure, 500: OfrepBulkFailure },
        },
      },
      async (request, reply) => {
        const scope = await admit(request, reply);
        if (!scope) return reply;
        const parsed = readContext(request.body);
        if (!parsed.ok) return reply.code(400).send({ errorCode: parsed.errorCode, errorDetails: parsed.errorDetails });
        const served = await serving.current(scope.environmentId);
        // The response depends on the version and the context: both go into the ETag.
        const etag = `"${served.version}-${murmur3(JSON.stringify(parsed.context)).toString(36)}"`;
        reply.header("etag", etag).header("cache-control", "no-cache");
        if (request.headers["if-none-match"] === etag) return reply.code(304).send(null);
        const flags = served.compiled
          .evaluateAll(parsed.context)
          .map((evaluation) =>
            "errorCode" in evaluation
              ? { key: evaluation.key, errorCode: evaluation.errorCode, errorDetails: evaluation.errorDetails }
              : evaluation,
          );
        serving.evaluated(scope.environmentId, served.compiled.keys);
        // `v`: the version this response shows; a stream opened after a newer one was written says so at once.
        const requestUri = `/ofrep/v1/events?${sdkKeys.streamQuery(scope, STREAM_TTL_S)}&v=${served.version}`;
        return {
          flags,
          metadata: { flagSetVersion: served.version },
          eventStreams: [{ type: "sse" as const, endpoint: { requestUri }, inactivityDelaySec: INACTIVITY_DELAY_S }],
        };
      },
    );

    app.get(
      "/ofrep/v1/events",
      {
        schema: {
          tags: ["ofrep"],
          summary: "Server-sent events: `refetchEvaluation` on every change of the environment's flags",
          querystring: Type.Object({
            key: Type.Optional(Type.String({ maxLength: 100 })),
            exp: Type.Optional(Type.String({ maxLength: 20 })),
            sig: Type.Optional(Type.String({ maxLength: 100 })),
            v: Type.Optional(Type.Integer({ minimum: 0, description: "the version the client has; newer → an event at once" })),
          }),
        },
      },
      async (request, reply) => {
        const signed = request.query.sig !== undefined ? await sdkKeys.verifyStreamQuery(request.query) : undefined;
        const scope = await admit(request, reply, signed);
        if (!scope) return reply;
        const served = await serving.current(scope.environmentId);
        reply.hijack();
        const raw = reply.raw;
        raw.writeHead(200, {
          "content-type": "text/event-stream",
          "cache-control": "no-cache",
          connection: "keep-alive",
          "x-accel-buffering": "no",
        });
        raw.write(`retry: 1000\n: flag set version ${served.version}\n\n`);
        streams.add(raw);
        const send = (version: number) => {
          raw.write(`data: ${JSON.stringify({ type: "refetchEvaluation", etag: `"${version}"`, flagSetVersion: version })}\n\n`);
        };
        const unsubscribe = serving.subscribe(scope.environmentId, send);
        if (request.query.v !== undefined && request.query.v < served.version) send(served.version);
        const heartbeat = setInterval(() => raw.write(": ping\n\n"), HEARTBEAT_MS);
        heartbeat.unref();
        raw.on("close", () => {
          clearInterval(heartbeat);
          unsubscribe();
          streams.delete(raw);
        });
      },
    );

    app.get(
      "/sdk/v1/flags",
      {
        schema: {
          tags: ["ofrep"],
          summary: "The environment's whole flag set, for SDKs that evaluate in-process (ETag / If-None-Match → 304)",
          response: { 200: FlagSetSchema, 304: Type.Null() },
        },
      },
      async (request, reply) => {
        const scope = await admit(request, reply);
        if (!scope) return reply;
        const served = await serving.current(scope.environmentId);
        reply.header("etag", served.etag).header("cache-control", "no-cache");
        if (request.headers["if-none-match"] === served.etag) return reply.code(304).send(null);
        return served.set;
      },
    );

    app.post(
      "/sdk/v1/flags/evaluated",
      {
        schema: {
          tags: ["ofrep"],
          summary: "SDKs report which flags they evaluated in-process (for the stale flag report)",
          body: Type.Object({ keys: Type.Array(FlagKey, { maxItems: 10_000 }) }, { additionalProperties: false }),
          response: { 204: Type.Null() },
        },
      },
      async (request, reply) => {
        const scope = await admit(request, reply);
        if (!scope) return reply;
        serving.evaluated(scope.environmentId, request.body.keys);
        return reply.code(204).send(null);
      },
    );
  };
}
