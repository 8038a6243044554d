import type { ServerResponse } from "node:http";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { ErrorBody, Slug } from "../../shared/api.ts";
import type { ProjectChange, ProjectEvents } from "./project-events.ts";

/**
 * `GET /projects/:slug/events`: Server-Sent Events for the dashboard. `event: change` with a ProjectChange as data
 * whenever deployments or approvals of the project move; a `: ping` comment every `heartbeatMs` keeps proxies from
 * closing an idle stream and lets the server notice a gone client. Auth as every /api route (session cookie or token).
 */
export function eventsRoutes(deps: {
  events: ProjectEvents;
  projectIdOf: (slug: string) => Promise<string>;
  heartbeatMs: number;
}): FastifyPluginAsyncTypebox & { closeStreams(): void } {
  const streams = new Set<ServerResponse>();
  const plugin: FastifyPluginAsyncTypebox = async (app) => {
    app.get(
      "/projects/:slug/events",
      {
        schema: {
          tags: ["projects"],
          summary: "Live changes of the project's deployments and approvals (text/event-stream)",
          params: Type.Object({ slug: Slug }),
          produces: ["text/event-stream"],
          response: { 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
        },
      },
      async (request, reply) => {
        const projectId = await deps.projectIdOf(request.params.slug);
        reply.hijack();
        const raw = reply.raw;
        raw.writeHead(200, {
          "content-type": "text/event-stream; charset=utf-8",
          "cache-control": "no-cache, no-transform",
          connection: "keep-alive",
          "x-accel-buffering": "no",
        });
        raw.write("retry: 2000\nevent: ready\ndata: {}\n\n");
        streams.add(raw);
        const send = (change: ProjectChange) => raw.write(`event: change\ndata: ${JSON.stringify(change)}\n\n`);
        const unsubscribe = deps.events.subscribe(projectId, send);
        const heartbeat = setInterval(() => raw.write(": ping\n\n"), deps.heartbeatMs);
        heartbeat.unref();
        raw.on("close", () => {
          clearInterval(heartbeat);
          unsubscribe();
          streams.delete(raw);
        });
      },
    );
  };
  return Object.assign(plugin, {
    /** Ends every open stream (server shutdown): browsers reconnect to another replica or when this one is back. */
    closeStreams() {
      for (const raw of streams) raw.end();
      streams.clear();
    },
  });
}
