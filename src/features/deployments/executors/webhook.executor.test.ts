import { createHmac } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as delay } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { executorContract, fakeContext } from "./executor.contract.ts";
import { RetryableError } from "./executor.types.ts";
import { validateExecutorConfig } from "./registry.ts";
import { parseRetryAfter, type WebhookConfig, webhookExecutor } from "./webhook.executor.ts";

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  closed: boolean;
}

/** A deployment target on a real port: each path answers the way a real receiver might. */
async function startTarget() {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const entry: Received = { path: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks), closed: false };
      received.push(entry);
      res.on("close", () => {
        entry.closed = true;
      });
      const reply = (status: number, body = "", headers: Record<string, string> = {}) => res.writeHead(status, headers).end(body);
      switch (entry.path) {
        case "/ok":
          return reply(202, '{"accepted":true}');
        case "/bad":
          return reply(422, "unknown environment: staging\n");
        case "/huge-404":
          return reply(404, "n".repeat(5000));
        case "/boom":
          return reply(500, "database is down");
        case "/busy":
          return reply(503, "", { "Retry-After": "7" });
        case "/limited":
          return reply(429, "slow down", { "Retry-After": new Date(Date.now() + 60_000).toUTCString() });
        case "/slow-client":
          return reply(408);
        case "/moved":
          return reply(301, "", { Location: "https://deploy.example.com/hook" });
        case "/hang":
          return; // never answers
        default:
          return reply(404);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    received,
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (const deadline = Date.now() + 3000; !check(); await delay(20)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
  }
}

executorContract("webhook", async () => {
  const target = await startTarget();
  const hanging = () => target.received.filter((request) => request.path === "/hang");
  return {
    executor: webhookExecutor,
    succeedingConfig: { url: target.url("/ok"), waitForCallback: true },
    failingConfig: { url: target.url("/bad") },
    slowConfig: { url: target.url("/hang"), timeout: "1h" },
    slowStarted: () => until(() => hanging().some((request) => !request.closed), "the request to arrive"),
    assertStopped: () =>
      until(() => hanging().length > 0 && hanging().every((request) => request.closed), "the connection to close"),
    // Plays the target: it got the callback address in the body and reports success to it.
    drive: async (outcome, ctx) => {
      expect(outcome).toMatchObject({ status: "running", callbackTimeoutMs: 3_600_000 });
      const request = target.received.at(-1);
      expect(JSON.parse(String(request?.body)).callback).toEqual(ctx.callback);
      expect(JSON.parse(String(request?.body)).run).toEqual(ctx.run);
      return { status: "succeeded" };
    },
    teardown: target.close,
  };
});

describe("webhook executor", () => {
  let target: Awaited<ReturnType<typeof startTarget>>;
  beforeAll(async () => {
    target = await startTarget();
  });
  afterAll(() => target.close());

  const send = (config: Partial<WebhookConfig> & { url: string }) => {
    const ctx = fakeContext<WebhookConfig>(config);
    return { ctx, outcome: webhookExecutor.start(ctx) };
  };
  const thrown = (promise: Promise<unknown>) =>
    promise.then(
      () => expect.fail("expected the request to throw"),
      (error: unknown) => error as RetryableError,
    );

  it("signs the exact body with the secret and sends the deployment headers", async () => {
    const { ctx, outcome } = send({ url: target.url("/ok"), secret: "s3cret", headers: { "X-Team": "data" } });
    expect(await outcome).toEqual({ status: "succeeded" });
    const request = target.received.at(-1);
    if (!request) throw new Error("no request received");
    const expected = createHmac("sha256", "s3cret").update(request.body).digest("hex");
    expect(request.headers["x-stagegate-signature"]).toBe(`sha256=${expected}`);
    expect(request.headers).toMatchObject({
      "content-type": "application/json",
      "user-agent": "stagegate",
      "x-stagegate-deployment": ctx.deployment.id,
      "x-team": "data",
    });
    const body = JSON.parse(String(request.body));
    expect(body).toEqual({
      event: "deployment",
      deployment: { id: "dep_01TEST", kind: "deploy" },
      project: ctx.project,
      environment: { name: "staging" },
      release: ctx.release,
      step: ctx.step,
      run: { id: "run_01TEST", ingestToken: "sgr_test_token", url: "http://127.0.0.1:9" },
    });
    expect(ctx.log.of("system")).toEqual([expect.stringMatching(/^POST http:\/\/127\.0\.0\.1:\d+\/ok → HTTP 202 in /)]);
  });

  it("sends no signature without a secret", async () => {
    await send({ url: target.url("/ok") }).outcome;
    expect(target.received.at(-1)?.headers).not.toHaveProperty("x-stagegate-signature");
  });

  it("waits for the callback when asked, sending its url and token", async () => {
    const { ctx, outcome } = send({ url: target.url("/ok"), waitForCallback: true, callbackTimeout: "15m" });
    expect(await outcome).toMatchObject({ status: "running", callbackTimeoutMs: 900_000 });
    expect(JSON.parse(String(target.received.at(-1)?.body)).callback).toEqual({ url: ctx.callback.url, token: "cb_test_token" });
  });

  it("ends failed on a 4xx, quoting the start of the body", async () => {
    expect(await send({ url: target.url("/bad") }).outcome).toEqual({
      status: "failed",
      message: "HTTP 422: unknown environment: staging",
    });
    const huge = await send({ url: target.url("/huge-404") }).outcome;
    expect(huge).toEqual({ status: "failed", message: `HTTP 404: ${"n".repeat(500)}` });
  });

  it("does not follow redirects", async () => {
    const outcome = await send({ url: target.url("/moved") }).outcome;
    expect(outcome).toMatchObject({ status: "failed", message: expect.stringContaining("HTTP 301") });
    expect(outcome.message).toContain("https://deploy.example.com/hook");
  });

  it("throws a retryable error on 5xx, 408 and 429, with Retry-After when given", async () => {
    const boom = await thrown(send({ url: target.url("/boom") }).outcome);
    expect(boom).toBeInstanceOf(RetryableError);
    expect(boom.message).toMatch(/^HTTP 500 from http:\/\/127\.0\.0\.1:\d+\/boom: database is down$/);
    expect(boom.retryAfterMs).toBeUndefined();
    expect((await thrown(send({ url: target.url("/busy") }).outcome)).retryAfterMs).toBe(7000);
    const limited = await thrown(send({ url: target.url("/limited") }).outcome);
    expect(limited.message).toMatch(/^HTTP 429/);
    expect(limited.retryAfterMs).toBeGreaterThan(55_000);
    expect(limited.retryAfterMs).toBeLessThanOrEqual(60_000);
    expect((await thrown(send({ url: target.url("/slow-client") }).outcome)).message).toMatch(/^HTTP 408/);
  });

  it("throws a retryable error when the target does not answer in time", async () => {
    const startedAt = Date.now();
    const error = await thrown(send({ url: target.url("/hang"), timeout: "300ms" }).outcome);
    expect(error).toBeInstanceOf(RetryableError);
    expect(error.message).toMatch(/\/hang timed out after 300ms$/);
    expect(Date.now() - startedAt).toBeLessThan(2000);
  });

  it("throws a retryable error naming the cause when nothing listens", async () => {
    const closed = await startTarget();
    await closed.close();
    const error = await thrown(send({ url: closed.url("/ok") }).outcome);
    expect(error).toBeInstanceOf(RetryableError);
    expect(error.message).toMatch(/failed: .*ECONNREFUSED/);
  });

  it("parses Retry-After as seconds or as an HTTP date", () => {
    const now = Date.parse("2025-01-01T00:00:00Z");
    expect(parseRetryAfter("120", now)).toBe(120_000);
    expect(parseRetryAfter("Wed, 01 Jan 2025 00:00:30 GMT", now)).toBe(30_000);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it("validates the url, header names and durations at config time", () => {
    const checked = validateExecutorConfig(
      "webhook",
      { url: "ftp://example.com", headers: { "Bad Header": "x" }, callbackTimeout: "ten minutes", waitForCallback: "yes" },
      "environments[0].executor.config",
    );
    expect(checked.ok ? [] : checked.errors.map((error) => error.path).sort()).toEqual([
      "environments[0].executor.config.callbackTimeout",
      "environments[0].executor.config.headers",
      "environments[0].executor.config.url",
      "environments[0].executor.config.waitForCallback",
    ]);
  });

  it("lists the known executors for an unknown type", () => {
    expect(validateExecutorConfig("ftp", {}, "environments[2].executor.config")).toEqual({
      ok: false,
      errors: [{ path: "environments[2].executor.type", message: expect.stringContaining('"shell", "webhook"') }],
    });
  });
});
