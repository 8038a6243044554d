import type { FastifyInstance } from "fastify";
import type { Kysely } from "kysely";
import { sql } from "kysely";
import type { Database } from "../db/schema.ts";
import { errorMessage } from "../shared/errors.ts";

/** /healthz: the process answers. /readyz: it can also reach its database. Neither needs a token. */
export function registerHealth(app: FastifyInstance, db: Kysely<Database>): void {
  app.get("/healthz", { schema: { hide: true } }, async () => ({ status: "ok" }));
  app.get("/readyz", { schema: { hide: true } }, async (_request, reply) => {
    try {
      await sql`select 1`.execute(db);
      return { status: "ready" };
    } catch (error) {
      reply.code(503);
      return { status: "unavailable", error: errorMessage(error) };
    }
  });
}
