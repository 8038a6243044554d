import { execFile, execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../../../test/helpers/app.ts";
import type { CreatedRun, LogRecord } from "./runs.types.ts";

const DOC = resolve(import.meta.dirname, "../../../docs/logging.md");

function hasPython(): boolean {
  try {
    execFileSync("python3", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** The first ```python block under "## 2." of docs/logging.md: the `logging` handler, exactly as a user copies it. */
function handlerSnippet(markdown: string): string {
  const section = markdown.slice(markdown.indexOf("## 2."));
  const match = /```python\n([\s\S]*?)```/.exec(section);
  if (!match?.[1]) throw new Error("docs/logging.md: no python block in section 2");
  return match[1];
}

describe.runIf(hasPython())("docs/logging.md Python logging handler", () => {
  let t: TestApp;
  let server: string;

  beforeAll(async () => {
    t = await startTestApp("sqlite");
    const project = await t.request({ method: "POST", url: "/api/v1/projects", payload: { slug: "demo", name: "Demo" } });
    expect(project.statusCode, project.body).toBe(201);
    server = await t.app.http.listen({ port: 0, host: "127.0.0.1" });
  });
  afterAll(() => t.close());

  async function runSnippet(script: string) {
    const run = (
      await t.request({ method: "POST", url: "/api/v1/projects/demo/runs", payload: { name: "doc" } })
    ).json<CreatedRun>();
    await promisify(execFile)("python3", ["-c", script], {
      env: { ...process.env, STAGEGATE_URL: server, STAGEGATE_RUN: run.id, STAGEGATE_INGEST_TOKEN: run.ingestToken },
      timeout: 20_000,
    });
    return (await t.request({ method: "GET", url: `/api/v1/runs/${run.id}/logs?limit=5000` })).json<{ items: LogRecord[] }>()
      .items;
  }

  it("keeps both records of a script that logs twice and exits at once", async () => {
    const started = Date.now();
    const records = await runSnippet(handlerSnippet(readFileSync(DOC, "utf8")));
    expect(records.map((r) => [r.level, r.msg.split("\n")[0], r.attributes?.logger])).toEqual([
      ["info", "epoch 1 done", "train"],
      ["error", "step failed", "train"],
    ]);
    // The `stack` attribute: the server keeps it in the message, after its first line.
    expect(records[1]?.msg).toMatch(
      /^step failed\nTraceback \(most recent call last\):\n[\s\S]*ZeroDivisionError: division by zero$/,
    );
    // flush() wakes the shipper instead of waiting out its 2 s batching interval.
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("sends every record across batch boundaries, on flush() and at exit", async () => {
    const handler = handlerSnippet(readFileSync(DOC, "utf8")).split("logging.basicConfig(")[0] ?? "";
    const script = `${handler}
h = StagegateHandler(batch=100)
log = logging.getLogger("bulk")
log.addHandler(h)
log.setLevel(logging.INFO)
for i in range(250):
    log.info("record %d", i)
h.flush()
assert h.unsent == 0, h.unsent
for i in range(250, 520):
    log.info("record %d", i)
`;
    const records = await runSnippet(script);
    expect(records).toHaveLength(520);
    expect(new Set(records.map((r) => r.msg)).size).toBe(520);
  });
});
