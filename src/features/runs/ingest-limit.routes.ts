import type { FastifyReply, FastifyRequest } from "fastify";
import type { IngestAuth } from "./ingest.auth.ts";

/**
 * Route `onRequest` hook for the ingest endpoints: 429 with `Retry-After` when the token sent too much, before the body
 * is read. `body` shapes the answer (our error JSON, or an OTLP google.rpc.Status).
 */
export function ingestLimit(
  auth: Pick<IngestAuth, "throttle">,
  body: (request: FastifyRequest, reply: FastifyReply, message: string) => unknown = (_request, reply, message) =>
    reply.send({
      error: { code: "rate_limited", message, details: { retryAfterSeconds: Number(reply.getHeader("retry-after")) } },
    }),
) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const wait = auth.throttle(request.headers.authorization);
    if (wait === 0) return undefined;
    reply.code(429).header("retry-after", String(wait));
    await body(request, reply, `This token sends more requests a second than the server accepts; retry after ${wait}s`);
    return reply;
  };
}
