import type { ErrorBody } from "../../../src/shared/api.ts";

/** An answer of the API that is not 2xx, with the server's machine code and human message. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: Record<string, unknown> | undefined;

  constructor(input: { status: number; code: string; message: string; details?: Record<string, unknown> | undefined }) {
    super(input.message);
    this.name = "ApiError";
    this.status = input.status;
    this.code = input.code;
    this.details = input.details;
  }
}

let csrfToken: string | null = null;
let onUnauthorized: (() => void) | null = null;

/** The session's CSRF token: every write made with the session cookie carries it (src/http/auth.ts). */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

export function setUnauthorizedHandler(handler: (() => void) | null): void {
  onUnauthorized = handler;
}

type Query = Record<string, string | number | boolean | undefined | null>;

export function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query))
    if (value !== undefined && value !== null && value !== "") params.set(key, String(value));
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

/** Encodes each interpolated value as one path segment (versions like `1.0+build/5` stay one segment). */
export function path(strings: TemplateStringsArray, ...values: (string | number)[]): string {
  return strings.reduce((out, part, i) => out + part + (i < values.length ? encodeURIComponent(String(values[i])) : ""), "");
}

export interface RequestOptions {
  method?: "GET" | "POST" | "PUT" | "DELETE";
  json?: unknown;
  query?: Query;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

async function errorOf(response: Response): Promise<ApiError> {
  let body: Partial<ErrorBody> | undefined;
  try {
    body = (await response.json()) as Partial<ErrorBody>;
  } catch {
    body = undefined;
  }
  return new ApiError({
    status: response.status,
    code: body?.error?.code ?? "http_error",
    message: body?.error?.message ?? `The server answered ${response.status} ${response.statusText}`,
    details: body?.error?.details,
  });
}

/** One request to `/api/v1` with the session cookie; writes send the CSRF header. */
export async function send(apiPath: string, options: RequestOptions = {}): Promise<Response> {
  const method = options.method ?? "GET";
  const headers: Record<string, string> = { accept: "application/json", ...options.headers };
  if (options.json !== undefined) headers["content-type"] = "application/json";
  if (method !== "GET" && csrfToken) headers["x-csrf-token"] = csrfToken;
  let response: Response;
  try {
    response = await fetch(withQuery(`/api/v1${apiPath}`, options.query), {
      method,
      headers,
      credentials: "same-origin",
      ...(options.json !== undefined ? { body: JSON.stringify(options.json) } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    if (options.signal?.aborted) throw error;
    throw new ApiError({
      status: 0,
      code: "network_error",
      message: "Cannot reach the stagegate server. Check your connection.",
    });
  }
  if (!response.ok) {
    const error = await errorOf(response);
    if (response.status === 401 && apiPath !== "/session") onUnauthorized?.();
    throw error;
  }
  return response;
}

export async function api<T>(apiPath: string, options: RequestOptions = {}): Promise<T> {
  const response = await send(apiPath, options);
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}
