import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { ReportFile } from "../shared/reports.api.ts";
import { StagegateClient } from "./client.ts";
import { ApiError } from "./errors.ts";

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

/** A raw HTTP server keeping request bodies as bytes (they are gzip), answering with `status` and `body`. */
async function serve(answer: (request: Received) => { status: number; body: unknown }) {
  const received: Received[] = [];
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const request = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks) };
      received.push(request);
      const { status, body } = answer(request);
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { client: new StagegateClient({ baseUrl: `http://127.0.0.1:${port}`, token: "t0ken" }), received };
}

const stored: ReportFile = { name: "junit.xml", format: "junit", bytes: 10, cases: 1, coverageFiles: 0, warnings: [] };

async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield new TextEncoder().encode(part);
}

describe("ReportsClient.uploadReportFile", () => {
  it("streams the file gzip-compressed as a chunked octet-stream body, reporting progress in source bytes", async () => {
    const { client, received } = await serve(() => ({ status: 200, body: stored }));
    const parts = ["<testsuites>", "<testcase name='a'/>".repeat(500), "</testsuites>"];
    const progress: number[] = [];

    const result = await client.uploadReportFile("run_1", "TEST a.xml", chunks(...parts), {
      gzip: true,
      onProgress: (n) => progress.push(n),
    });

    expect(result).toEqual(stored);
    const [request] = received;
    expect(request?.method).toBe("PUT");
    expect(request?.url).toBe("/api/v1/report-runs/run_1/files/TEST%20a.xml?format=auto");
    expect(request?.headers).toMatchObject({
      "content-type": "application/octet-stream",
      "content-encoding": "gzip",
      "transfer-encoding": "chunked",
      authorization: "Bearer t0ken",
    });
    expect(gunzipSync(request?.body ?? Buffer.alloc(0)).toString()).toBe(parts.join(""));
    expect(request?.body.length).toBeLessThan(parts.join("").length / 5);
    expect(progress.at(-1)).toBe(parts.join("").length);
  });

  it("sends a web ReadableStream as is without gzip, with the format asked for", async () => {
    const { client, received } = await serve(() => ({ status: 200, body: stored }));
    const stream = ReadableStream.from(chunks("SF:a.ts\n", "DA:1,1\nend_of_record\n"));

    await client.uploadReportFile("run_1", "lcov.info", stream, { format: "lcov" });

    expect(received[0]?.url).toBe("/api/v1/report-runs/run_1/files/lcov.info?format=lcov");
    expect(received[0]?.headers["content-encoding"]).toBeUndefined();
    expect(received[0]?.body.toString()).toBe("SF:a.ts\nDA:1,1\nend_of_record\n");
  });

  it("turns a rejected file into an ApiError carrying the line and column", async () => {
    const { client } = await serve(() => ({
      status: 422,
      body: {
        error: {
          code: "invalid_report",
          message: "broken.xml is not a valid junit report at line 3, column 7: unclosed tag",
          details: { line: 3, column: 7 },
        },
      },
    }));

    const error = await client.uploadReportFile("run_1", "broken.xml", chunks("<testsuite>")).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 422, code: "invalid_report", details: { line: 3, column: 7 } });
  });

  it("stops reading the source when the server rejects the file before its end", async () => {
    server = createServer((req, res) => {
      req.once("data", () => {
        res.writeHead(422, { "content-type": "application/json" });
        res.end(
          JSON.stringify({
            error: { code: "invalid_report", message: "a.xml is not a valid junit report at line 1, column 2: bad" },
          }),
        );
      });
      req.resume();
    });
    await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
    const client = new StagegateClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
    let pulled = 0;
    let closed = false;
    async function* endless(): AsyncGenerator<Uint8Array> {
      try {
        for (;;) {
          pulled++;
          yield new Uint8Array(64 * 1024);
        }
      } finally {
        closed = true;
      }
    }

    const error = await client.uploadReportFile("run_1", "a.xml", endless(), { gzip: true }).catch((e: unknown) => e);

    expect(error).toMatchObject({ status: 422, code: "invalid_report" });
    await vi.waitFor(() => expect(closed).toBe(true));
    expect(pulled).toBeLessThan(10_000);
  });

  it("rejects with the read error, not a network error, when the source fails", async () => {
    const { client } = await serve(() => ({ status: 200, body: stored }));
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield new TextEncoder().encode("<testsuites>");
      throw new Error("EIO: i/o error, read");
    }

    await expect(client.uploadReportFile("run_1", "a.xml", failing(), { gzip: true })).rejects.toThrow("EIO: i/o error, read");
  });
});

describe("ReportsClient runs and views", () => {
  it("creates, completes and reads runs, a commit's report and the list, on the documented routes", async () => {
    const { client, received } = await serve((request) => ({
      status: request.method === "POST" && request.url.endsWith("report-runs") ? 201 : 200,
      body: { id: "run_1" },
    }));

    await client.createReportRun("shop", {
      commitSha: "3f2a9c1",
      branch: "main",
      kind: "unit",
      diff: [{ path: "a.ts", ranges: [[1, 2]] }],
    });
    await client.completeReportRun("run_1");
    await client.getReportRun("run_1");
    await client.commitReport("shop", "3f2a9c1");
    await client.listReportRuns("shop", { branch: "feature/x", kind: "e2e", limit: 5 });

    expect(received.map((r) => `${r.method} ${r.url}`)).toEqual([
      "POST /api/v1/projects/shop/report-runs",
      "POST /api/v1/report-runs/run_1/complete",
      "GET /api/v1/report-runs/run_1",
      "GET /api/v1/projects/shop/commits/3f2a9c1/report",
      "GET /api/v1/projects/shop/report-runs?branch=feature%2Fx&kind=e2e&limit=5",
    ]);
    expect(JSON.parse(received[0]?.body.toString() ?? "")).toEqual({
      commitSha: "3f2a9c1",
      branch: "main",
      kind: "unit",
      diff: [{ path: "a.ts", ranges: [[1, 2]] }],
    });
  });
});
