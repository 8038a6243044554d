import Fastify from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pipelineYaml, startTestApp, type TestApp, userWithToken } from "../../../test/helpers/app.ts";
import { testDialects } from "../../../test/helpers/db.ts";
import { eventsRoutes } from "./events.routes.ts";
import { createProjectEvents, type ProjectChange } from "./project-events.ts";

interface Stream {
  /** Resolves with the first event of that name whose data passes `match`. */
  next(name: string, match?: (data: ProjectChange) => boolean, timeoutMs?: number): Promise<ProjectChange>;
  text(): string;
  close(): void;
}

async function openStream(url: string, headers: Record<string, string> = {}): Promise<Stream & { status: number }> {
  const abort = new AbortController();
  const response = await fetch(url, { headers: { accept: "text/event-stream", ...headers }, signal: abort.signal });
  let buffer = "";
  let seen = 0;
  const waiters = new Set<() => void>();
  if (response.body) {
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    void (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          for (const wake of waiters) wake();
        }
      } catch {
        // aborted by close()
      }
    })();
  }
  const events = () =>
    buffer
      .split("\n\n")
      .slice(0, -1)
      .flatMap((block) => {
        const name = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        return name && data ? [{ name, data: JSON.parse(data) as ProjectChange }] : [];
      });
  return {
    status: response.status,
    text: () => buffer,
    close: () => abort.abort(),
    next(name, match = () => true, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const look = () => {
          const all = events();
          const index = all.findIndex((e, i) => i >= seen && e.name === name && match(e.data));
          const found = all[index];
          if (!found) return;
          seen = index + 1;
          waiters.delete(look);
          clearTimeout(timer);
          resolve(found.data);
        };
        const timer = setTimeout(() => {
          waiters.delete(look);
          reject(new Error(`no ${name} event within ${timeoutMs} ms; got:\n${buffer}`));
        }, timeoutMs);
        waiters.add(look);
        look();
      });
    },
  };
}

describe.each(testDialects())("project events (SSE) on %s", (dialect) => {
  let t: TestApp;
  let base: string;
  let viewer: string;
  let stranger: string;

  beforeAll(async () => {
    t = await startTestApp(dialect);
    const applied = await t.request({
      method: "PUT",
      url: "/api/v1/projects/shop/config",
      payload: pipelineYaml({ command: ["sh", "-c", "sleep 0.3; echo ok"] }),
      headers: { "content-type": "application/yaml" },
    });
    expect(applied.statusCode, applied.body).toBe(200);
    viewer = await userWithToken(t, { username: "vera", project: "shop", role: "viewer" });
    stranger = await userWithToken(t, { username: "sam" });
    base = await t.app.http.listen({ port: 0, host: "127.0.0.1" });
  });
  afterAll(async () => {
    t?.app.http.server.closeAllConnections();
    await t?.close();
  });

  it("tells a viewer's stream each move of a deployment, as it commits", async () => {
    const stream = await openStream(`${base}/api/v1/projects/shop/events`, { authorization: `Bearer ${viewer}` });
    expect(stream.status).toBe(200);
    await stream.next("ready");
    await t.request({
      method: "POST",
      url: "/api/v1/projects/shop/releases",
      payload: { version: "1.0.0", commitSha: "abcdef1234567", branch: "main" },
    });
    const promoted = await t.request({
      method: "POST",
      url: "/api/v1/projects/shop/releases/1.0.0/promote",
      payload: { environment: "quant" },
    });
    const id = promoted.json<{ id: string }>().id;
    const started = await stream.next("change", (c) => c.reason === "deployment_started");
    expect(started.deploymentId).toBe(id);
    const done = await stream.next("change", (c) => c.reason === "deployment_succeeded");
    expect(done.deploymentId).toBe(id);
    // By the time the stream says so, the API says so too.
    const now = await t.request({ method: "GET", url: `/api/v1/deployments/${id}` });
    expect(now.json<{ status: string }>().status).toBe("succeeded");
    stream.close();
  });

  it("also reports audited changes that send no notification (other replicas write those too)", async () => {
    const stream = await openStream(`${base}/api/v1/projects/shop/events`, { authorization: `Bearer ${viewer}` });
    await stream.next("ready");
    await new Promise((resolve) => setTimeout(resolve, 300)); // the watcher knows the head by now
    const member = await t.request({
      method: "PUT",
      url: "/api/v1/projects/shop/members",
      payload: { username: "sam", role: "developer" },
    });
    expect(member.statusCode, member.body).toBeLessThan(300);
    const change = await stream.next("change", () => true, 5_000);
    expect(change.seq).toBeGreaterThan(0);
    stream.close();
    await t.request({ method: "DELETE", url: "/api/v1/projects/shop/members/sam" });
  });

  it("tells of a completed report run, which changes what the gates say", async () => {
    const stream = await openStream(`${base}/api/v1/projects/shop/events`, { authorization: `Bearer ${viewer}` });
    await stream.next("ready");
    const run = await t.request({
      method: "POST",
      url: "/api/v1/projects/shop/report-runs",
      payload: { commitSha: "abcdef1234567", branch: "main", kind: "unit" },
    });
    const id = run.json<{ id: string }>().id;
    await t.request({
      method: "PUT",
      url: `/api/v1/report-runs/${id}/files/junit.xml`,
      payload: '<testsuite name="s"><testcase classname="a" name="b"/></testsuite>',
      headers: { "content-type": "application/xml" },
    });
    await t.request({ method: "POST", url: `/api/v1/report-runs/${id}/complete` });
    await stream.next("change", (c) => c.reason === "report_completed");
    stream.close();
  });

  it("refuses callers without a session or role", async () => {
    const anonymous = await fetch(`${base}/api/v1/projects/shop/events`);
    expect(anonymous.status).toBe(401);
    const outsider = await fetch(`${base}/api/v1/projects/shop/events`, { headers: { authorization: `Bearer ${stranger}` } });
    expect([403, 404]).toContain(outsider.status);
    const missing = await fetch(`${base}/api/v1/projects/nope/events`, { headers: { authorization: `Bearer ${viewer}` } });
    expect(missing.status).toBe(404);
  });
});

describe("project event streams", () => {
  it("send heartbeats, and let go of a client that disconnects", async () => {
    let head = 1;
    const events = createProjectEvents({ headOf: async () => head, watchMs: 20 });
    const routes = eventsRoutes({ events, projectIdOf: async () => "p1", heartbeatMs: 50 });
    const app = Fastify();
    await app.register(routes);
    const base = await app.listen({ port: 0, host: "127.0.0.1" });
    try {
      const stream = await openStream(`${base}/projects/shop/events`);
      await stream.next("ready");
      await expect.poll(() => stream.text().split(": ping").length - 1, { timeout: 2_000 }).toBeGreaterThanOrEqual(2);
      expect(events.subscriberCount()).toBe(1);
      head = 2;
      expect(await stream.next("change")).toEqual({ reason: "changed", seq: 2 });
      stream.close();
      await expect.poll(() => events.subscriberCount(), { timeout: 2_000 }).toBe(0);
      // Nothing left running: a closed stream's heartbeat and subscription are gone; closing the server ends the rest.
      const second = await openStream(`${base}/projects/shop/events`);
      await second.next("ready");
      routes.closeStreams();
      await expect.poll(() => events.subscriberCount(), { timeout: 2_000 }).toBe(0);
    } finally {
      events.close();
      await app.close();
    }
  });

  it("hold a nudge until its change is committed, and tell it anyway when no audit event follows", async () => {
    let head = 5;
    const events = createProjectEvents({ headOf: async () => head, watchMs: 10_000 });
    const seen: ProjectChange[] = [];
    const unsubscribe = events.subscribe("p1", (c) => seen.push(c));
    await new Promise((resolve) => setTimeout(resolve, 20));
    events.nudge("p1", { reason: "deployment_succeeded", deploymentId: "d1" });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(seen).toEqual([]); // not committed yet: the head did not move
    head = 6;
    await expect.poll(() => seen, { timeout: 1_000 }).toEqual([{ reason: "deployment_succeeded", deploymentId: "d1", seq: 6 }]);
    events.nudge("p1", { reason: "deployment_started", deploymentId: "d2" });
    await expect.poll(() => seen.length, { timeout: 2_000 }).toBe(2);
    expect(seen[1]).toEqual({ reason: "deployment_started", deploymentId: "d2" });
    // A burst (started, then succeeded before anyone looked) loses none of its changes, and keeps their order.
    events.nudge("p1", { reason: "deployment_started", deploymentId: "d3" });
    events.nudge("p1", { reason: "deployment_succeeded", deploymentId: "d3" });
    head = 7;
    await expect.poll(() => seen.length, { timeout: 1_000 }).toBe(4);
    expect(seen.slice(2).map((c) => c.reason)).toEqual(["deployment_started", "deployment_succeeded"]);
    unsubscribe();
    events.close();
  });
});
