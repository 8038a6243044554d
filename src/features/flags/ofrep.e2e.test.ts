import { OFREPProvider } from "@openfeature/ofrep-provider";
import { OFREPWebProvider } from "@openfeature/ofrep-web-provider";
import { OpenFeature as ServerOpenFeature } from "@openfeature/server-sdk";
import { ProviderEvents, OpenFeature as WebOpenFeature } from "@openfeature/web-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pipelineYaml, startTestApp, type TestApp } from "../../../test/helpers/app.ts";
import { testDialects } from "../../../test/helpers/db.ts";
import type { CreatedSdkKey } from "../../shared/flags/flags.api.ts";
import { bucketOf } from "../../shared/flags/murmur3.ts";

/**
 * A minimal EventSource over fetch, so the official web provider can follow our SSE stream in Node 20 (which has no
 * EventSource). It implements the parts of the WHATWG interface the provider uses: open/message/error events,
 * readyState, close(), and reconnection after `retry`.
 */
class FetchEventSource extends EventTarget {
  readyState = 0;
  readonly #controller = new AbortController();
  constructor(readonly url: string) {
    super();
    void this.#run();
  }
  async #run(): Promise<void> {
    while (this.readyState !== 2) {
      try {
        const response = await fetch(this.url, { signal: this.#controller.signal, headers: { accept: "text/event-stream" } });
        if (response.status !== 200 || !response.body) throw new Error(`SSE ${response.status}`);
        this.readyState = 1;
        this.dispatchEvent(new Event("open"));
        const decoder = new TextDecoder();
        let buffer = "";
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          buffer += decoder.decode(chunk, { stream: true });
          for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const data = block
              .split("\n")
              .filter((line) => line.startsWith("data:"))
              .map((line) => line.slice(5).trimStart());
            if (data.length > 0) this.dispatchEvent(Object.assign(new Event("message"), { data: data.join("\n") }));
          }
        }
      } catch {
        if (this.readyState === 2) return;
      }
      this.readyState = 0;
      this.dispatchEvent(new Event("error"));
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  close(): void {
    this.readyState = 2;
    this.#controller.abort();
  }
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return Date.now() - started;
}

describe.each(testDialects())("OFREP on %s", (dialect) => {
  let t: TestApp;
  let baseUrl: string;
  let sdkKey: string;
  const api = "/api/v1/projects/shop";
  const ofrep = (payload: unknown, options: { key?: string; flag?: string; headers?: Record<string, string> } = {}) =>
    t.app.http.inject({
      method: "POST",
      url: options.flag === undefined ? "/ofrep/v1/evaluate/flags" : `/ofrep/v1/evaluate/flags/${options.flag}`,
      payload: payload as Record<string, unknown>,
      headers: {
        ...(options.key === undefined ? { authorization: `Bearer ${sdkKey}` } : options.key ? { "x-api-key": options.key } : {}),
        ...options.headers,
      },
    });

  beforeAll(async () => {
    t = await startTestApp(dialect);
    await t.request({
      method: "PUT",
      url: `${api}/config`,
      payload: pipelineYaml(),
      headers: { "content-type": "application/yaml" },
    });
    const flags = [
      { key: "new-checkout", type: "boolean", variants: { on: true, off: false } },
      { key: "scorer", type: "string", variants: { v1: "scorer-v1", v2: "scorer-v2" } },
    ];
    for (const payload of flags) expect((await t.request({ method: "POST", url: `${api}/flags`, payload })).statusCode).toBe(201);
    const rule = await t.request({
      method: "PUT",
      url: `${api}/environments/quant_stg/flags/scorer`,
      payload: {
        enabled: true,
        rules: [{ conditions: [{ attribute: "cluster", operator: "in", values: ["gpu-a"] }], variant: "v2" }],
      },
    });
    expect(rule.statusCode, rule.body).toBe(200);
    const key = await t.request({
      method: "POST",
      url: `${api}/environments/quant_stg/sdk-keys`,
      payload: { name: "checkout service" },
    });
    expect(key.statusCode, key.body).toBe(201);
    sdkKey = key.json<CreatedSdkKey>().key;
    baseUrl = await t.app.http.listen({ port: 0, host: "127.0.0.1" });
  });
  afterAll(async () => {
    await ServerOpenFeature.close();
    await WebOpenFeature.close();
    await t.close();
  });

  it("answers 401 without a body to a missing or unknown key, 403 to a revoked one", async () => {
    const none = await ofrep({}, { key: "" });
    expect([none.statusCode, none.body]).toEqual([401, ""]);
    const unknown = await ofrep({}, { key: "sgf_not-a-key" });
    expect([unknown.statusCode, unknown.body]).toEqual([401, ""]);
    const extra = (
      await t.request({ method: "POST", url: `${api}/environments/live/sdk-keys`, payload: { name: "to revoke" } })
    ).json<CreatedSdkKey>();
    expect((await ofrep({}, { key: extra.key })).statusCode).toBe(200);
    expect((await t.request({ method: "DELETE", url: `${api}/sdk-keys/${extra.id}` })).statusCode).toBe(204);
    const revoked = await ofrep({}, { key: extra.key });
    expect([revoked.statusCode, revoked.body]).toEqual([403, ""]);
  });

  it("answers errors in OFREP shape", async () => {
    const missing = await ofrep({ context: {} }, { flag: "no-such-flag" });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ key: "no-such-flag", errorCode: "FLAG_NOT_FOUND" });
    const badContext = await ofrep({ context: "user-1" }, { flag: "scorer" });
    expect(badContext.statusCode).toBe(400);
    expect(badContext.json()).toMatchObject({ key: "scorer", errorCode: "INVALID_CONTEXT" });
    const wrongType = await ofrep({ context: { targetingKey: 7 } }, { flag: "scorer" });
    expect(wrongType.json()).toMatchObject({ key: "scorer", errorCode: "INVALID_CONTEXT" });
    const malformed = await t.app.http.inject({
      method: "POST",
      url: "/ofrep/v1/evaluate/flags/scorer",
      payload: "{not json",
      headers: { authorization: `Bearer ${sdkKey}`, "content-type": "application/json" },
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json()).toMatchObject({ key: "scorer", errorCode: "PARSE_ERROR" });
  });

  it("evaluates one flag with reason and variant", async () => {
    const match = await ofrep({ context: { targetingKey: "u1", cluster: "gpu-a" } }, { flag: "scorer" });
    expect(match.json()).toEqual({
      key: "scorer",
      value: "scorer-v2",
      variant: "v2",
      reason: "TARGETING_MATCH",
      metadata: { flagSetVersion: 3 },
    });
    const fallback = await ofrep({ context: { cluster: "cpu" } }, { flag: "scorer" });
    expect(fallback.json()).toMatchObject({ value: "scorer-v1", reason: "DEFAULT" });
    const disabled = await ofrep({ context: {} }, { flag: "new-checkout" });
    expect(disabled.json()).toMatchObject({ value: false, reason: "DISABLED" });
  });

  it("serves bulk evaluations with an ETag, 304 on If-None-Match, and an SSE event stream", async () => {
    const first = await ofrep({ context: { targetingKey: "u1" } });
    expect(first.statusCode).toBe(200);
    const body = first.json<{
      flags: Array<{ key: string }>;
      eventStreams: Array<{ type: string; endpoint: { requestUri: string } }>;
    }>();
    expect(body.flags.map((f) => f.key)).toEqual(["new-checkout", "scorer"]);
    expect(body.eventStreams[0]).toMatchObject({
      type: "sse",
      endpoint: { requestUri: expect.stringMatching(/^\/ofrep\/v1\/events\?key=/) },
    });
    const etag = String(first.headers.etag);
    const again = await ofrep({ context: { targetingKey: "u1" } }, { headers: { "if-none-match": etag } });
    expect([again.statusCode, again.body]).toEqual([304, ""]);
    const otherContext = await ofrep({ context: { targetingKey: "u2" } }, { headers: { "if-none-match": etag } });
    expect(otherContext.statusCode).toBe(200);
    const stream = await t.app.http.inject({
      method: "GET",
      url: `${body.eventStreams[0]?.endpoint.requestUri.replace(/sig=[^&]+/, "sig=00")}`,
    });
    expect(stream.statusCode).toBe(401);
  });

  it("works with the official OFREP server provider, unmodified", async () => {
    await ServerOpenFeature.setProviderAndWait(new OFREPProvider({ baseUrl, headers: [["X-API-Key", sdkKey]] }));
    const client = ServerOpenFeature.getClient();
    const details = await client.getStringDetails("scorer", "fallback", { targetingKey: "u1", cluster: "gpu-a" });
    expect(details).toMatchObject({ value: "scorer-v2", variant: "v2", reason: "TARGETING_MATCH" });
    expect(details.flagMetadata).toMatchObject({ flagSetVersion: expect.any(Number) });
    const missing = await client.getBooleanDetails("nope", true, { targetingKey: "u1" });
    expect(missing).toMatchObject({ value: true, errorCode: "FLAG_NOT_FOUND", reason: "ERROR" });
    const mismatch = await client.getNumberDetails("scorer", 1, { targetingKey: "u1" });
    expect(mismatch).toMatchObject({ value: 1, errorCode: "TYPE_MISMATCH" });

    const rolled = await t.request({
      method: "PUT",
      url: `${api}/environments/quant_stg/flags/new-checkout/rollout`,
      payload: { percentage: 10 },
    });
    expect(rolled.statusCode, rolled.body).toBe(200);
    const users = Array.from({ length: 200 }, (_, i) => `user-${i}`);
    for (const user of users.slice(0, 40)) {
      const value = await client.getBooleanValue("new-checkout", false, { targetingKey: user });
      expect(value, user).toBe(bucketOf("new-checkout", user) < 1000);
    }
    const noKey = await client.getBooleanDetails("new-checkout", false, {});
    expect(noKey).toMatchObject({ errorCode: "TARGETING_KEY_MISSING" });
  });

  it("works with the official OFREP web provider, which follows the SSE stream and switches within a second", async () => {
    (globalThis as { EventSource?: unknown }).EventSource = FetchEventSource;
    try {
      const provider = new OFREPWebProvider({ baseUrl, headers: [["Authorization", `Bearer ${sdkKey}`]], cacheMode: "disabled" });
      await WebOpenFeature.setContext({ targetingKey: "user-7", cluster: "cpu" });
      await WebOpenFeature.setProviderAndWait(provider);
      const client = WebOpenFeature.getClient();
      expect(client.getStringValue("scorer", "fallback")).toBe("scorer-v1");
      let changes = 0;
      client.addHandler(ProviderEvents.ConfigurationChanged, () => {
        changes++;
      });
      const changed = await t.request({
        method: "PUT",
        url: `${api}/environments/quant_stg/flags/scorer`,
        payload: { defaultVariant: "v2", reason: "switch everyone" },
      });
      expect(changed.statusCode, changed.body).toBe(200);
      const took = await until(() => client.getStringValue("scorer", "fallback") === "scorer-v2", 1000);
      expect(took).toBeLessThan(1000);
      expect(changes).toBeGreaterThan(0);
      // The stream is open now: a kill switch reaches the provider through a live event, again within a second.
      await new Promise((resolve) => setTimeout(resolve, 200));
      const killed = await t.request({ method: "POST", url: `${api}/environments/quant_stg/flags/scorer/disable`, payload: {} });
      expect(killed.statusCode, killed.body).toBe(200);
      expect(await until(() => client.getStringValue("scorer", "fallback") === "scorer-v1", 1000)).toBeLessThan(1000);
      expect(client.getStringDetails("scorer", "fallback").reason).toBe("DISABLED");
    } finally {
      await WebOpenFeature.clearProviders();
      delete (globalThis as { EventSource?: unknown }).EventSource;
    }
  });
});

describe("OFREP rate limit", () => {
  it("answers 429 with Retry-After once a key exceeds its rate", async () => {
    const t = await startTestApp("sqlite", { FLAGS_RATE_LIMIT: "3" });
    try {
      await t.request({
        method: "PUT",
        url: "/api/v1/projects/shop/config",
        payload: pipelineYaml(),
        headers: { "content-type": "application/yaml" },
      });
      const key = (
        await t.request({ method: "POST", url: "/api/v1/projects/shop/environments/live/sdk-keys", payload: { name: "busy" } })
      ).json<CreatedSdkKey>().key;
      const statuses: number[] = [];
      let retryAfter: unknown;
      for (let i = 0; i < 5; i++) {
        const res = await t.app.http.inject({
          method: "POST",
          url: "/ofrep/v1/evaluate/flags",
          payload: {},
          headers: { "x-api-key": key },
        });
        statuses.push(res.statusCode);
        if (res.statusCode === 429) retryAfter = res.headers["retry-after"];
      }
      expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
      expect(statuses.at(-1)).toBe(429);
      expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    } finally {
      await t.close();
    }
  });
});
