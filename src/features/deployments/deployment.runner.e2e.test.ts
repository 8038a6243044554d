import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../../../test/helpers/app.ts";
import { testDialects } from "../../../test/helpers/db.ts";
import type { Deployment } from "../../shared/api.ts";

interface Hook {
  status: number;
  body?: string;
}

/** A deploy target that answers webhooks from a script of responses and remembers what it received. */
function webhookTarget() {
  const received: { headers: IncomingMessage["headers"]; body: Record<string, unknown> }[] = [];
  let script: Hook[] = [];
  const server: Server = createServer((req, res) => {
    let text = "";
    req.on("data", (chunk: Buffer) => {
      text += chunk.toString();
    });
    req.on("end", () => {
      received.push({ headers: req.headers, body: JSON.parse(text) as Record<string, unknown> });
      const next = script.shift() ?? { status: 200 };
      res.writeHead(next.status, { "content-type": "text/plain" }).end(next.body ?? "ok");
    });
  });
  return {
    received,
    respond: (hooks: Hook[]) => {
      script = hooks;
    },
    listen: () =>
      new Promise<string>((resolve) =>
        server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}/deploy`)),
      ),
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

describe.each(testDialects())("deployment runner on %s", (dialect) => {
  let t: TestApp;
  const target = webhookTarget();
  let sha = 0;
  let url = "";

  async function project(slug: string, yaml: string) {
    const res = await t.request({
      method: "PUT",
      url: `/api/v1/projects/${slug}/config`,
      payload: yaml,
      headers: { "content-type": "application/yaml" },
    });
    expect(res.statusCode, res.body).toBe(200);
  }
  async function release(slug: string, version: string, branch = "feature/x") {
    sha++;
    const res = await t.request({
      method: "POST",
      url: `/api/v1/projects/${slug}/releases`,
      payload: { version, commitSha: sha.toString(16).padStart(12, "0"), branch },
    });
    expect(res.statusCode, res.body).toBe(201);
  }
  async function promote(slug: string, version: string, environment: string): Promise<Deployment> {
    const res = await t.request({
      method: "POST",
      url: `/api/v1/projects/${slug}/releases/${version}/promote`,
      payload: { environment },
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<Deployment>();
  }
  const one = (command: unknown, extra = "") =>
    `environments:\n  - name: only\n${extra}    executor: { type: shell, config: ${JSON.stringify(command)} }\n`;
  const log = async (id: string) => (await t.request({ method: "GET", url: `/api/v1/deployments/${id}/log` })).body;

  beforeAll(async () => {
    t = await startTestApp(dialect, {
      LOG_HEAD_BYTES: "2048",
      LOG_TAIL_BYTES: "2048",
      STAGEGATE_PUBLIC_URL: "http://stagegate.test",
    });
    url = await target.listen();
  });
  afterAll(async () => {
    await t.close();
    await target.close();
  });

  it("marks a non-zero exit failed and a timeout errored", async () => {
    await project("fails", one({ command: ["sh", "-c", "echo boom >&2; exit 3"] }));
    await release("fails", "1");
    const failed = await t.waitForDeployment((await promote("fails", "1", "only")).id);
    expect(failed.status).toBe("failed");
    expect(failed.reason).toContain("exit code 3");
    expect(await log(failed.id)).toMatch(/ stderr boom$/m);

    await project("slow", one({ command: ["sleep", "30"], timeout: "1s" }));
    await release("slow", "1");
    const timedOut = await t.waitForDeployment((await promote("slow", "1", "only")).id);
    expect(timedOut.status).toBe("errored");
    expect(timedOut.reason).toMatch(/timed out/);
  });

  it("runs one deployment per environment at a time and supersedes queued ones", async () => {
    await project("queue", one({ command: ["sh", "-c", "sleep 0.6; echo done $STAGEGATE_RELEASE"] }));
    for (const v of ["a", "b", "c"]) await release("queue", v);
    const a = await promote("queue", "a", "only");
    await expect
      .poll(async () => (await t.request({ method: "GET", url: `/api/v1/deployments/${a.id}` })).json<Deployment>().status)
      .toBe("running");
    const b = await promote("queue", "b", "only");
    const c = await promote("queue", "c", "only");
    const finalB = await t.waitForDeployment(b.id);
    expect(finalB.status).toBe("superseded");
    expect(finalB.reason).toContain("c");
    const [finalA, finalC] = [await t.waitForDeployment(a.id), await t.waitForDeployment(c.id)];
    expect(finalA.status).toBe("succeeded");
    expect(finalC.status).toBe("succeeded");
    expect(Date.parse(finalC.startedAt ?? "")).toBeGreaterThanOrEqual(Date.parse(finalA.finishedAt ?? ""));
  });

  it("cancels a running deployment and stops its process", async () => {
    await project("cancel", one({ command: ["sh", "-c", "echo started; sleep 30; echo never"] }));
    await release("cancel", "1");
    const d = await promote("cancel", "1", "only");
    await expect.poll(async () => log(d.id), { timeout: 10_000 }).toContain("stdout started");
    const res = await t.request({ method: "POST", url: `/api/v1/deployments/${d.id}/cancel` });
    expect(res.statusCode).toBe(200);
    const final = await t.waitForDeployment(d.id, 10_000);
    expect(final.status).toBe("cancelled");
    expect(await log(d.id)).not.toContain("stdout never");
    const again = await t.request({ method: "POST", url: `/api/v1/deployments/${d.id}/cancel` });
    expect(again.statusCode).toBe(409);
  });

  it("retries a webhook 5xx with backoff, then succeeds; a 4xx fails at once", async () => {
    await project(
      "hook",
      `environments:\n  - name: only\n    retries: 2\n    backoff: 100ms\n    executor: { type: webhook, config: { url: "${url}", secret: "s3cret" } }\n`,
    );
    await release("hook", "1");
    target.respond([{ status: 503 }, { status: 502 }, { status: 200 }]);
    const ok = await t.waitForDeployment((await promote("hook", "1", "only")).id);
    expect(ok.status).toBe("succeeded");
    expect(await log(ok.id)).toMatch(/attempt 2 failed: .*502/);
    await release("hook", "2");
    target.respond([{ status: 422, body: "pipeline parameter missing" }]);
    const no = await t.waitForDeployment((await promote("hook", "2", "only")).id);
    expect(no.status).toBe("failed");
    expect(no.reason).toContain("pipeline parameter missing");
  });

  it("waits for a webhook callback authenticated by the deployment's own token", async () => {
    await project(
      "callback",
      `environments:\n  - name: only\n    executor: { type: webhook, config: { url: "${url}", waitForCallback: true } }\n`,
    );
    await release("callback", "1");
    target.respond([{ status: 202 }]);
    const before = target.received.length;
    const d = await promote("callback", "1", "only");
    await expect.poll(() => target.received.length).toBeGreaterThan(before);
    const callback = target.received.at(-1)?.body.callback as { url: string; token: string };
    expect(callback.url).toBe(`http://stagegate.test/api/v1/deployments/${d.id}/callback`);
    const path = new URL(callback.url).pathname;
    const forged = await t.app.http.inject({
      method: "POST",
      url: path,
      payload: { status: "succeeded" },
      headers: { authorization: "Bearer nope" },
    });
    expect(forged.statusCode).toBe(401);
    const real = await t.app.http.inject({
      method: "POST",
      url: path,
      payload: { status: "succeeded", log: "migrated 3 tables" },
      headers: { authorization: `Bearer ${callback.token}` },
    });
    expect(real.statusCode, real.body).toBe(202);
    const final = await t.waitForDeployment(d.id);
    expect(final.status).toBe("succeeded");
    expect(await log(d.id)).toContain("stdout migrated 3 tables");
  });

  it("auto-deploys a release from the configured branch", async () => {
    await project("auto", one({ command: ["true"] }, "    autoDeploy: { branch: main }\n"));
    await release("auto", "1", "main");
    await release("auto", "2", "feature/y");
    await expect
      .poll(
        async () =>
          (await t.request({ method: "GET", url: "/api/v1/projects/auto/deployments" }))
            .json<{ items: Deployment[] }>()
            .items.map((d) => [d.release, d.status, d.createdBy]),
        { timeout: 10_000 },
      )
      .toEqual([["1", "succeeded", "auto-deploy"]]);
  });

  it("keeps the head and tail of a huge log and says what it left out", async () => {
    await project("chatty", one({ command: ["sh", "-c", "i=0; while [ $i -lt 3000 ]; do echo line-$i; i=$((i+1)); done"] }));
    await release("chatty", "1");
    const d = await t.waitForDeployment((await promote("chatty", "1", "only")).id);
    expect(d.status).toBe("succeeded");
    const text = await log(d.id);
    expect(text).toContain("stdout line-0\n");
    expect(text).toContain("stdout line-2999\n");
    expect(text).toMatch(/… \d+ lines \(\d+ bytes\) omitted/);
    expect(text).not.toContain("stdout line-1500\n");
    // 4 KiB of line text kept, plus a timestamp and stream name per line.
    expect(text.length).toBeLessThan(30_000);
  });

  it("follows a running deployment's log until it ends", async () => {
    await project("follow", one({ command: ["sh", "-c", "echo one; sleep 0.5; echo two"] }));
    await release("follow", "1");
    const d = await promote("follow", "1", "only");
    const res = await t.request({ method: "GET", url: `/api/v1/deployments/${d.id}/log?follow=1` });
    expect(res.body).toMatch(/stdout one\n[\s\S]*stdout two\n[\s\S]*deployment succeeded/);
  });
});
