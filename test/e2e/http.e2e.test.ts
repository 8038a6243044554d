import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CreatedToken } from "../../src/shared/auth.api.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";

describe("HTTP surface", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp("sqlite", { BODY_LIMIT_BYTES: "4096" });
    await t.request({ method: "POST", url: "/api/v1/projects", payload: { slug: "web", name: "Web" } });
  });
  afterAll(() => t.close());

  it("answers health checks without a token", async () => {
    expect((await t.app.http.inject({ method: "GET", url: "/healthz" })).json()).toEqual({ status: "ok" });
    expect((await t.app.http.inject({ method: "GET", url: "/readyz" })).statusCode).toBe(200);
  });

  it("requires a valid bearer token on every /api/v1 call", async () => {
    const none = await t.app.http.inject({ method: "GET", url: "/api/v1/projects" });
    expect(none.statusCode).toBe(401);
    expect(none.json()).toEqual({ error: { code: "unauthorized", message: expect.stringContaining("Bearer") } });
    const wrong = await t.app.http.inject({
      method: "GET",
      url: "/api/v1/projects",
      headers: { authorization: "Bearer sg_nope" },
    });
    expect(wrong.statusCode).toBe(401);
    const basic = await t.app.http.inject({
      method: "GET",
      url: "/api/v1/projects",
      headers: { authorization: "Basic Zm9vOmJhcg==" },
    });
    expect(basic.statusCode).toBe(401);
  });

  it("creates more tokens that work, shown once, expiring when asked", async () => {
    const created = await t.request({ method: "POST", url: "/api/v1/tokens", payload: { name: "ci", expiresInDays: 30 } });
    expect(created.statusCode).toBe(201);
    const token = created.json<CreatedToken>();
    expect(token.token).toMatch(/^sg_/);
    expect(Date.parse(token.expiresAt ?? "") - Date.now()).toBeGreaterThan(29 * 86_400_000);
    const used = await t.app.http.inject({
      method: "GET",
      url: "/api/v1/projects",
      headers: { authorization: `Bearer ${token.token}` },
    });
    expect(used.statusCode).toBe(200);
  });

  it("rejects malformed bodies with 400 naming the field", async () => {
    const missing = await t.request({
      method: "POST",
      url: "/api/v1/projects/web/releases",
      payload: { commitSha: "abcdef1", branch: "main" },
    });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error).toMatchObject({ code: "invalid_request", message: "body.version is required" });
    const badSha = await t.request({
      method: "POST",
      url: "/api/v1/projects/web/releases",
      payload: { version: "1", commitSha: "not-hex", branch: "main" },
    });
    expect(badSha.json().error.message).toContain("body.commitSha");
    const extra = await t.request({ method: "POST", url: "/api/v1/projects", payload: { slug: "x", name: "x", colour: "red" } });
    expect(extra.statusCode).toBe(400);
    expect(extra.json().error.message).toBe("body.colour is not a known field");
    const notJson = await t.request({
      method: "POST",
      url: "/api/v1/projects",
      payload: "{oops",
      headers: { "content-type": "application/json" },
    });
    expect(notJson.statusCode).toBe(400);
    expect(notJson.json().error.code).toBe("invalid_request");
  });

  it("refuses a body over the limit with 413", async () => {
    const res = await t.request({ method: "POST", url: "/api/v1/projects", payload: { slug: "big", name: "x".repeat(5000) } });
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe("payload_too_large");
  });

  it("answers unknown things with 404 and a code", async () => {
    const route = await t.request({ method: "GET", url: "/api/v1/nothing-here" });
    expect(route.statusCode).toBe(404);
    expect(route.json().error.code).toBe("route_not_found");
    expect((await t.request({ method: "GET", url: "/api/v1/deployments/dep_nope" })).json().error.code).toBe(
      "deployment_not_found",
    );
    expect((await t.request({ method: "GET", url: "/api/v1/projects/web/releases/9.9" })).json().error.code).toBe(
      "release_not_found",
    );
    const env = await t.request({ method: "POST", url: "/api/v1/projects/web/environments/prod/rollback" });
    expect(env.statusCode).toBe(404);
    expect(env.json().error.code).toBe("environment_not_found");
  });

  it("keeps releases immutable: identical is 200, different is 409 release_conflict", async () => {
    const body = { version: "1.0.0", commitSha: "ABCDEF1234", branch: "main", artifactDigest: "sha256:abc" };
    expect((await t.request({ method: "POST", url: "/api/v1/projects/web/releases", payload: body })).statusCode).toBe(201);
    expect((await t.request({ method: "POST", url: "/api/v1/projects/web/releases", payload: body })).statusCode).toBe(200);
    const changed = await t.request({
      method: "POST",
      url: "/api/v1/projects/web/releases",
      payload: { ...body, artifactDigest: "sha256:def" },
    });
    expect(changed.statusCode).toBe(409);
    expect(changed.json().error).toMatchObject({ code: "release_conflict", details: { fields: ["artifactDigest"] } });
  });

  it("publishes an OpenAPI 3.1 document of the routes", async () => {
    const doc = (await t.app.http.inject({ method: "GET", url: "/openapi.json" })).json<{
      openapi: string;
      paths: Record<string, unknown>;
    }>();
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        "/api/v1/projects",
        "/api/v1/projects/{slug}/config",
        "/api/v1/projects/{slug}/releases/{version}/promote",
        "/api/v1/deployments/{id}/log",
        "/api/v1/projects/{slug}/environments/{env}/rollback",
        "/api/v1/projects/{slug}/status",
      ]),
    );
  });
});
