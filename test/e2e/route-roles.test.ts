import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { needOf } from "../../src/http/roles.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";

describe("the route role table", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp("sqlite");
  });
  afterAll(() => t.close());

  it("declares the role of every /api/v1 route (read from the OpenAPI document of the running app)", async () => {
    const doc = (await t.app.http.inject({ method: "GET", url: "/openapi.json" })).json<{
      paths: Record<string, Record<string, unknown>>;
    }>();
    const routes = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => ({ method: method.toUpperCase(), url: path.replace(/\{(\w+)\}/g, ":$1") })),
    );
    expect(routes.length).toBeGreaterThan(40);
    expect(routes.filter((r) => needOf(r.method, r.url) === undefined).map((r) => `${r.method} ${r.url}`)).toEqual([]);
  });
});
