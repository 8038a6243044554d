import type { FastifyInstance, FastifyRequest } from "fastify";
import type { TokensService } from "../features/auth/tokens.service.ts";
import type { Actor } from "../features/auth/tokens.types.ts";
import { DomainError } from "../shared/errors.ts";

declare module "fastify" {
  interface FastifyRequest {
    actor: Actor | null;
  }
  interface FastifyContextConfig {
    /** Routes that authenticate themselves (e.g. a deployment callback with its own token). */
    public?: boolean;
  }
}

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) throw new DomainError("unauthorized", "Authorization header must be `Bearer <token>`");
  return match[1];
}

/** Every `/api/v1` route needs a valid API token unless it declares `config: { public: true }`. */
export function registerAuth(app: FastifyInstance, tokens: TokensService): void {
  app.decorateRequest("actor", null);
  app.addHook("onRequest", async (request) => {
    if (!request.url.startsWith("/api/")) return;
    if (request.routeOptions.config?.public) return;
    request.actor = await tokens.authenticate(bearer(request));
  });
}

export function bearerToken(request: FastifyRequest): string | undefined {
  return bearer(request);
}

export function actorOf(request: FastifyRequest): Actor {
  if (!request.actor) throw new DomainError("unauthorized", "Send an API token: Authorization: Bearer <token>");
  return request.actor;
}
