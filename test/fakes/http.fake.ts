import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * The bits every fake of an external API shares: a real port, a log of what arrived, parsed bodies, and switches
 * that make the whole service misbehave the way real ones do (throttling, dropped connections).
 */

export interface FakeRequest {
  /** When it arrived (ms since the epoch). */
  at: number;
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
  /** The body parsed as a form, when it was sent as one. */
  form: URLSearchParams | undefined;
}

export interface FakeReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type FakeHandler = (request: FakeRequest) => FakeReply | Promise<FakeReply>;

export interface FakeServer {
  url: string;
  received: FakeRequest[];
  /** The next `count` requests answer 429 (or `status`) with this Retry-After, as a throttled API does. */
  throttle(count: number, options?: { retryAfter?: string; status?: number; body?: unknown }): void;
  /** While down, every connection is dropped without an answer (a killed or unreachable server). */
  setDown(down: boolean): void;
  close(): Promise<void>;
}

export async function startFakeServer(handler: FakeHandler): Promise<FakeServer> {
  const received: FakeRequest[] = [];
  let throttled: { count: number; retryAfter?: string; status: number; body?: unknown } = { count: 0, status: 429 };
  let down = false;
  const server = createServer((req, res) => {
    if (down) {
      req.socket.destroy();
      return;
    }
    readBody(req)
      .then(async (text) => {
        const request = toRequest(req, text);
        received.push(request);
        if (throttled.count > 0) {
          throttled.count--;
          return send(res, {
            status: throttled.status,
            body: throttled.body ?? { message: "Too many requests" },
            headers: throttled.retryAfter === undefined ? {} : { "Retry-After": throttled.retryAfter },
          });
        }
        return send(res, await handler(request));
      })
      .catch((error: unknown) => send(res, { status: 500, body: { message: `fake failed: ${String(error)}` } }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    throttle(count, options = {}) {
      throttled = { ...options, count, status: options.status ?? 429 };
    },
    setDown(value) {
      down = value;
      if (value) server.closeAllConnections();
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function toRequest(req: IncomingMessage, text: string): FakeRequest {
  const url = new URL(req.url ?? "/", "http://fake");
  const type = String(req.headers["content-type"] ?? "");
  let json: unknown;
  if (type.startsWith("application/json")) {
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
  }
  return {
    at: Date.now(),
    method: req.method ?? "GET",
    path: url.pathname,
    query: url.searchParams,
    headers: req.headers,
    text,
    json,
    form: type.startsWith("application/x-www-form-urlencoded") ? new URLSearchParams(text) : undefined,
  };
}

function send(res: ServerResponse, reply: FakeReply): void {
  const headers: Record<string, string> = { ...reply.headers };
  let body = "";
  if (reply.body !== undefined) {
    body = typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body);
    if (!Object.keys(headers).some((name) => name.toLowerCase() === "content-type")) {
      headers["Content-Type"] = typeof reply.body === "string" ? "text/plain" : "application/json";
    }
  }
  res.writeHead(reply.status, headers).end(body);
}

export function bearerOf(request: FakeRequest): string | undefined {
  const header = request.headers.authorization;
  return header?.startsWith("Bearer ") ? header.slice("Bearer ".length) : undefined;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
