import { errorFromResponse, invalidResponse, networkError } from "./errors.ts";

export interface StagegateClientOptions {
  /** e.g. `http://localhost:8080`; a path prefix (`https://ops.example.com/stagegate`) is kept. */
  baseUrl: string;
  token?: string;
  /** A browser-style session (from `login`), used when there is no token: the cookie value and its CSRF token. */
  session?: { cookie: string; csrfToken: string };
  fetch?: typeof fetch;
  userAgent?: string;
}

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  method?: "GET" | "POST" | "PUT" | "DELETE";
  query?: Query;
  json?: unknown;
  text?: { body: string; contentType: string };
  /** A body sent as it is produced (chunked), never held whole in memory. */
  stream?: { body: ReadableStream<Uint8Array>; contentType: string; contentEncoding?: string };
  accept?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/**
 * The HTTP core every part of the client builds on: base URL, credentials, error mapping. Each API area is a
 * subclass adding its methods (`ReportsClient`, then `StagegateClient`), which keeps every file to one area.
 */
export class ApiTransport {
  readonly baseUrl: string;
  readonly #token: string | undefined;
  readonly #session: { cookie: string; csrfToken: string } | undefined;
  readonly #fetch: typeof fetch;
  readonly #userAgent: string;

  constructor(options: StagegateClientOptions) {
    this.baseUrl = normalizeBaseUrl(options.baseUrl);
    this.#token = options.token === "" ? undefined : options.token;
    this.#session = options.session;
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.#userAgent = options.userAgent ?? "stagegate-sdk";
  }

  protected async json<T>(requestPath: string, options: RequestOptions = {}): Promise<T> {
    const { response, url } = await this.send(requestPath, options);
    return readJson<T>(response, url);
  }

  protected async send(requestPath: string, options: RequestOptions): Promise<{ response: Response; url: string }> {
    const url = this.baseUrl + requestPath + queryString(options.query);
    const headers: Record<string, string> = { accept: options.accept ?? "application/json", "user-agent": this.#userAgent };
    if (this.#token !== undefined && requestPath.startsWith("/api/")) headers.authorization = `Bearer ${this.#token}`;
    else if (this.#session !== undefined && requestPath.startsWith("/api/")) {
      headers.cookie = `sg_session=${this.#session.cookie}`;
      if ((options.method ?? "GET") !== "GET") headers["x-csrf-token"] = this.#session.csrfToken;
    }
    let body: string | ReadableStream<Uint8Array> | undefined;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers["content-type"] = "application/json";
    } else if (options.text !== undefined) {
      body = options.text.body;
      headers["content-type"] = options.text.contentType;
    } else if (options.stream !== undefined) {
      body = options.stream.body;
      headers["content-type"] = options.stream.contentType;
      if (options.stream.contentEncoding) headers["content-encoding"] = options.stream.contentEncoding;
    }
    let response: Response;
    try {
      response = await this.#fetch(url, {
        method: options.method ?? "GET",
        headers: { ...headers, ...options.headers },
        body,
        // Required by fetch for a stream body: the request is sent while the body is still being produced.
        ...(options.stream ? { duplex: "half" as const } : {}),
        signal: options.signal,
      });
    } catch (error) {
      if (options.signal?.aborted) throw error;
      throw networkError(url, error);
    }
    if (!response.ok) throw await errorFromResponse(response, url);
    return { response, url };
  }
}

export async function readJson<T>(response: Response, url: string): Promise<T> {
  const text = await response.text();
  try {
    // The contract in shared/api.ts is the server's own route schema, so the shape is trusted rather than re-checked.
    return JSON.parse(text) as T;
  } catch (error) {
    throw invalidResponse(url, response.status, error);
  }
}

/** Encodes every interpolated value as one path segment, so `1.0+build/5` cannot change the route. */
export function path(strings: TemplateStringsArray, ...segments: string[]): string {
  let out = strings[0] ?? "";
  segments.forEach((segment, index) => {
    // "." and ".." (even percent-encoded) are resolved away by URL parsers, and "" would hit another route.
    if (segment === "" || segment === "." || segment === "..") throw new TypeError(`invalid path segment "${segment}"`);
    out += encodeURIComponent(segment) + (strings[index + 1] ?? "");
  });
  return out;
}

function queryString(query: Query | undefined): string {
  if (!query) return "";
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
  const text = params.toString();
  return text ? `?${text}` : "";
}

function normalizeBaseUrl(baseUrl: string): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch (error) {
    throw new TypeError(`invalid server URL "${baseUrl}": expected http(s)://host[:port]`, { cause: error });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TypeError(`invalid server URL "${baseUrl}": only http:// and https:// are supported`);
  }
  return `${url.origin}${url.pathname}`.replace(/\/+$/, "");
}
