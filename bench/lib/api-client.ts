/** Just enough of an HTTP client for seeding: every call must answer 2xx, or the bench stops saying which call failed. */
export interface ApiClient {
  send<T>(method: "GET" | "POST" | "PUT", path: string, body?: { json: unknown } | { yaml: string }): Promise<T>;
}

export function apiClient(origin: string, token: string): ApiClient {
  return {
    async send<T>(method: "GET" | "POST" | "PUT", path: string, body?: { json: unknown } | { yaml: string }): Promise<T> {
      const headers: Record<string, string> = { authorization: `Bearer ${token}` };
      let payload: string | undefined;
      if (body && "yaml" in body) {
        headers["content-type"] = "application/yaml";
        payload = body.yaml;
      } else if (body) {
        headers["content-type"] = "application/json";
        payload = JSON.stringify(body.json);
      }
      const response = await fetch(`${origin}${path}`, { method, headers, body: payload });
      const text = await response.text();
      if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text.slice(0, 500)}`);
      return JSON.parse(text) as T;
    },
  };
}
