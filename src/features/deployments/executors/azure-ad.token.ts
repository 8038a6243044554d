import { sha256Hex } from "../../../shared/hashing.ts";
import { TerminalError } from "./executor.types.ts";
import { describeRequest, isOk, requestTarget, snippet, stringField } from "./target.http.ts";

/**
 * OAuth 2.0 client-credentials tokens (Microsoft identity platform v2 endpoint, Databricks `/oidc/v1/token`).
 * Tokens are cached in memory until shortly before they expire; a restart just asks for a new one.
 */

const cache = new Map<string, { token: string; expiresAt: number }>();
const EARLY_REFRESH_MS = 120_000;

export interface ClientCredentials {
  /** Full token endpoint URL. */
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  scope: string;
  /** `body`: client_id/client_secret in the form (Azure AD); `basic`: HTTP Basic (Databricks). */
  style: "body" | "basic";
  signal: AbortSignal;
  onRetry?: (message: string) => void;
}

export async function clientCredentialsToken(options: ClientCredentials): Promise<string> {
  const key = sha256Hex(`${options.tokenUrl}\n${options.clientId}\n${options.clientSecret}\n${options.scope}`);
  const cached = cache.get(key);
  if (cached && cached.expiresAt > Date.now()) return cached.token;
  const form = new URLSearchParams({ grant_type: "client_credentials", scope: options.scope });
  const headers: Record<string, string> = {};
  if (options.style === "body") {
    form.set("client_id", options.clientId);
    form.set("client_secret", options.clientSecret);
  } else {
    headers.Authorization = `Basic ${Buffer.from(`${options.clientId}:${options.clientSecret}`).toString("base64")}`;
  }
  const response = await requestTarget({
    method: "POST",
    url: options.tokenUrl,
    headers,
    body: form,
    signal: options.signal,
    ...(options.onRetry ? { onRetry: options.onRetry } : {}),
  });
  const what = describeRequest("POST", options.tokenUrl);
  const token = stringField(response.json, "access_token");
  if (!isOk(response) || !token) {
    // AAD answers 400/401 with {error, error_description}; either way a new try with the same secret will not help.
    const reason =
      stringField(response.json, "error_description") ?? stringField(response.json, "error") ?? snippet(response.text);
    throw new TerminalError(
      `${what} → HTTP ${response.status}: could not get an access token${reason ? ` (${reason})` : ""}; check the client id and secret`,
    );
  }
  const expiresIn = Number(stringField(response.json, "expires_in") ?? "3600");
  cache.set(key, { token, expiresAt: Date.now() + Math.max(0, expiresIn * 1000 - EARLY_REFRESH_MS) });
  return token;
}

/** Forgets every cached token; tests use it to see the token request again. */
export function clearTokenCache(): void {
  cache.clear();
}
