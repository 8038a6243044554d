import { createReadStream, existsSync } from "node:fs";
import { stat } from "node:fs/promises";
import { extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance } from "fastify";
import { DomainError } from "../shared/errors.ts";

/** Where `vite build` puts the dashboard (web/vite.config.ts). */
export const WEB_DIST = fileURLToPath(new URL("../../web/dist/", import.meta.url));

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
};

// Vite names every built asset after its content hash, so a browser may keep it forever.
const IMMUTABLE = "public, max-age=31536000, immutable";

/**
 * Serves the built single-page app at `/`: files from web/dist, and index.html for every other GET that is not the API
 * (history fallback, so /p/demo/releases/1.2.0 survives a reload). `/api/…` keeps answering JSON 404s.
 */
export function registerStaticWeb(app: FastifyInstance, root: string = WEB_DIST): void {
  const index = join(root, "index.html");
  const hasIndex = () => existsSync(index);

  app.get("/*", { schema: { hide: true }, config: { public: true } }, async (request, reply) => {
    const urlPath = decodeURIComponent((request.url.split("?")[0] ?? "/").replace(/\/+$/, "") || "/");
    if (urlPath.startsWith("/api/") || urlPath === "/api") {
      throw new DomainError("route_not_found", `No route ${request.method} ${urlPath}`);
    }
    if (!hasIndex()) {
      reply.code(503).type("text/plain; charset=utf-8");
      return "The dashboard is not built yet: run `npm run build:web` (npm start does it when web/dist is missing).\n";
    }
    const file = normalize(join(root, urlPath));
    const inside = file.startsWith(root.endsWith(sep) ? root : root + sep);
    if (urlPath !== "/") {
      const info = inside ? await stat(file).catch(() => undefined) : undefined;
      if (info?.isFile()) {
        reply
          .type(TYPES[extname(file)] ?? "application/octet-stream")
          .header("cache-control", urlPath.startsWith("/assets/") ? IMMUTABLE : "no-cache")
          .header("content-length", info.size);
        return reply.send(createReadStream(file));
      }
      // A missing hashed asset is a stale page asking for an old build: a 404, not the app's HTML.
      if (urlPath.startsWith("/assets/")) throw new DomainError("not_found", `No file ${urlPath}`);
    }
    reply
      .type(TYPES[".html"] ?? "text/html")
      .header("cache-control", "no-cache")
      .header("x-content-type-options", "nosniff");
    return reply.send(createReadStream(index));
  });
}
