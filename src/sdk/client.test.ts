import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { sampleDeployment as deployment } from "../../test/helpers/cli.ts";
import {
  closedPort,
  type Handler,
  type RecordingServer,
  sendError,
  sendJson,
  startRecordingServer,
} from "../../test/helpers/recording-server.ts";
import type { Project, Release } from "../shared/api.ts";
import { StagegateClient } from "./client.ts";
import { ApiError } from "./errors.ts";

const project: Project = {
  slug: "demo",
  name: "Demo pipeline",
  repoUrl: "https://github.com/acme/demo",
  environments: ["quant", "quant_stg", "live"],
  createdAt: "2026-11-25T10:00:00.000Z",
  updatedAt: "2026-11-25T10:00:00.000Z",
};

const release = (version: string): Release => ({
  version,
  commitSha: "3f2a9c1",
  branch: "main",
  artifactUrl: null,
  artifactDigest: null,
  notes: null,
  createdBy: null,
  createdAt: "2026-11-25T10:00:00.000Z",
});

let server: RecordingServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(handler: Handler, options: { token?: string } = { token: "s3cret" }) {
  server = await startRecordingServer(handler);
  return { client: new StagegateClient({ baseUrl: server.url, ...options }), requests: server.requests };
}

async function caught(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof ApiError)) throw new Error(`expected an ApiError, got ${String(error)}`);
  return error;
}

describe("StagegateClient", () => {
  it("sends the bearer token, user agent and JSON body, and returns the created project", async () => {
    const { client, requests } = await serve((_req, res) => sendJson(res, 201, project));

    await expect(client.createProject({ slug: "demo", name: "Demo pipeline" })).resolves.toEqual(project);

    expect(requests).toHaveLength(1);
    const [request] = requests;
    expect(request?.method).toBe("POST");
    expect(request?.url).toBe("/api/v1/projects");
    expect(request?.headers.authorization).toBe("Bearer s3cret");
    expect(request?.headers["user-agent"]).toBe("stagegate-sdk");
    expect(request?.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(request?.body ?? "")).toEqual({ slug: "demo", name: "Demo pipeline" });
  });

  it("turns an error body into an ApiError with status, code, message and details", async () => {
    const { client } = await serve((_req, res) =>
      sendError(res, 409, "project_exists", "project demo already exists", { slug: "demo" }),
    );

    const error = await caught(client.createProject({ slug: "demo", name: "Demo" }));

    expect(error).toMatchObject({ status: 409, code: "project_exists", message: "project demo already exists" });
    expect(error.details).toEqual({ slug: "demo" });
    expect(error.isNotFound).toBe(false);
  });

  it("names a failure without an error body by its status", async () => {
    const { client } = await serve((_req, res) => {
      res.writeHead(502, { "content-type": "text/html" });
      res.end("<html>Bad Gateway</html>");
    });

    const error = await caught(client.getProject("demo"));

    expect(error.status).toBe(502);
    expect(error.code).toBe("bad_gateway");
    expect(error.message).toContain("502");
    expect(error.message).toContain("Bad Gateway");
  });

  it("reports an unreachable server as network_error naming the URL and how to point elsewhere", async () => {
    const port = await closedPort();
    const client = new StagegateClient({ baseUrl: `http://127.0.0.1:${port}` });

    const error = await caught(client.status("demo"));

    expect(error.status).toBe(0);
    expect(error.code).toBe("network_error");
    expect(error.message).toContain(`http://127.0.0.1:${port}/api/v1/projects/demo/status`);
    expect(error.message).toContain("--server");
    expect(error.message).toContain("STAGEGATE_URL");
  });

  it("encodes every path segment, so a version cannot change the route", async () => {
    const { client, requests } = await serve((_req, res) =>
      sendJson(res, 200, { ...release("1.0.0+build/5"), environments: [] }),
    );

    await client.getRelease("my proj", "1.0.0+build/5");

    expect(requests[0]?.url).toBe("/api/v1/projects/my%20proj/releases/1.0.0%2Bbuild%2F5");
    await expect(client.getRelease("demo", "..")).rejects.toThrow(TypeError);
    await expect(client.getDeployment("")).rejects.toThrow(TypeError);
  });

  it("sends the Idempotency-Key on promote and tells a new deployment from an existing one", async () => {
    let status = 201;
    const { client, requests } = await serve((_req, res) => sendJson(res, status, deployment));

    const first = await client.promote("demo", "1.4.0", "live", { idempotencyKey: "ci-run-42" });
    status = 200;
    const second = await client.promote("demo", "1.4.0", "live");

    expect(first).toEqual({ deployment, created: true });
    expect(second).toEqual({ deployment, created: false });
    expect(requests[0]?.url).toBe("/api/v1/projects/demo/releases/1.4.0/promote");
    expect(requests[0]?.headers["idempotency-key"]).toBe("ci-run-42");
    expect(JSON.parse(requests[0]?.body ?? "")).toEqual({ environment: "live" });
    expect(requests[1]?.headers["idempotency-key"]).toBeUndefined();
  });

  it("puts the config file as raw YAML, with prune as a query flag, and reads it back as text", async () => {
    const yaml = "project: demo\nenvironments:\n  - name: quant\n";
    const { client, requests } = await serve((req, res) => {
      if (req.method === "GET") {
        res.writeHead(200, { "content-type": "application/yaml" });
        return void res.end(yaml);
      }
      sendJson(res, 200, { project, changed: true, changes: [{ environment: "quant", change: "added" }] });
    });

    const result = await client.applyConfig("demo", yaml, { prune: true });
    await client.applyConfig("demo", "{}", { contentType: "application/json" });

    expect(result.changes).toEqual([{ environment: "quant", change: "added" }]);
    expect(requests[0]).toMatchObject({ method: "PUT", url: "/api/v1/projects/demo/config?prune=true", body: yaml });
    expect(requests[0]?.headers["content-type"]).toBe("application/yaml");
    expect(requests[1]?.url).toBe("/api/v1/projects/demo/config");
    expect(requests[1]?.headers["content-type"]).toBe("application/json");
    await expect(client.getConfig("demo")).resolves.toBe(yaml);
  });

  it("passes list filters and paging as query parameters", async () => {
    const { client, requests } = await serve((_req, res) => sendJson(res, 200, { items: [deployment], nextCursor: null }));

    const page = await client.listDeployments("demo", { environment: "live", status: "failed", limit: 5, cursor: "abc" });

    expect(page.items).toEqual([deployment]);
    expect(requests[0]?.url).toBe("/api/v1/projects/demo/deployments?environment=live&status=failed&limit=5&cursor=abc");
  });

  it("paginate follows nextCursor until it is null", async () => {
    const pages: Record<string, { items: Release[]; nextCursor: string | null }> = {
      "": { items: [release("3"), release("2")], nextCursor: "c1" },
      c1: { items: [release("1")], nextCursor: "c2" },
      c2: { items: [], nextCursor: null },
    };
    const { client, requests } = await serve((req, res) => {
      const cursor = new URL(req.url, "http://x").searchParams.get("cursor") ?? "";
      sendJson(res, 200, pages[cursor]);
    });

    const versions: string[] = [];
    for await (const item of client.paginate((page) => client.listReleases("demo", page), { pageSize: 2 })) {
      versions.push(item.version);
    }

    expect(versions).toEqual(["3", "2", "1"]);
    expect(requests.map((r) => r.url)).toEqual([
      "/api/v1/projects/demo/releases?limit=2",
      "/api/v1/projects/demo/releases?limit=2&cursor=c1",
      "/api/v1/projects/demo/releases?limit=2&cursor=c2",
    ]);
  });

  it("returns the log as text", async () => {
    const log = "2026-11-25T10:00:00.123Z stdout hello\n2026-11-25T10:00:01.000Z stderr oops\n";
    const { client, requests } = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end(log);
    });

    await expect(client.getLog("dep_1")).resolves.toBe(log);
    expect(requests[0]?.url).toBe("/api/v1/deployments/dep_1/log");
  });

  it("followLog yields whole lines however the stream is chunked", async () => {
    const text =
      "2026-11-25T10:00:00.123Z stdout héllo\r\n2026-11-25T10:00:00.200Z stdout world\n2026-11-25T10:00:01.000Z stderr last";
    const bytes = Buffer.from(text, "utf8");
    const accent = bytes.indexOf(Buffer.from("é")) + 1; // inside the two bytes of "é"
    const cuts = [10, accent, bytes.indexOf(10) + 1, bytes.indexOf(10) + 20, bytes.length - 3, bytes.length].sort(
      (a, b) => a - b,
    );
    const { client, requests } = await serve(async (_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      let start = 0;
      for (const cut of cuts) {
        res.write(bytes.subarray(start, cut));
        start = cut;
        await sleep(15);
      }
      res.end();
    });

    const lines: string[] = [];
    for await (const line of client.followLog("dep_1")) lines.push(line);

    expect(lines).toEqual([
      "2026-11-25T10:00:00.123Z stdout héllo",
      "2026-11-25T10:00:00.200Z stdout world",
      "2026-11-25T10:00:01.000Z stderr last",
    ]);
    expect(requests[0]?.url).toBe("/api/v1/deployments/dep_1/log?follow=1");
  });

  it("followLog ends without an error when its signal is aborted", async () => {
    const { client } = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("2026-11-25T10:00:00.123Z stdout started\n"); // and never ends, like a long deployment
    });
    const controller = new AbortController();

    const lines: string[] = [];
    for await (const line of client.followLog("dep_1", { signal: controller.signal })) {
      lines.push(line);
      controller.abort();
    }

    expect(lines).toEqual(["2026-11-25T10:00:00.123Z stdout started"]);
  });

  it("calls /healthz without credentials and keeps a base path", async () => {
    const { requests } = await serve((_req, res) => sendJson(res, 200, { status: "ok" }));
    const client = new StagegateClient({ baseUrl: `${server?.url}/stagegate/`, token: "s3cret", userAgent: "ci/1" });

    await expect(client.health()).resolves.toEqual({ status: "ok" });
    await client.listProjects({ limit: 1 });

    expect(requests[0]?.url).toBe("/stagegate/healthz");
    expect(requests[0]?.headers.authorization).toBeUndefined();
    expect(requests[1]?.url).toBe("/stagegate/api/v1/projects?limit=1");
    expect(requests[1]?.headers["user-agent"]).toBe("ci/1");
  });

  it("rejects a base URL that is not http(s)", () => {
    expect(() => new StagegateClient({ baseUrl: "localhost:8080" })).toThrow(/http/);
    expect(() => new StagegateClient({ baseUrl: "not a url" })).toThrow(/invalid server URL/);
  });
});
