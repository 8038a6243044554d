import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyConfig, ONE_STAGE_YAML, startTestApp, type TestApp } from "../../../test/helpers/app.ts";
import { testDialects } from "../../../test/helpers/db.ts";
import type { CreatedRun, LogRecord } from "./runs.types.ts";

interface SseEvent {
  id: string | undefined;
  event: string;
  data: string;
}

/** An SSE stream read as it arrives: `until` waits for events matching a predicate. */
async function openTail(url: string, headers: Record<string, string>) {
  const abort = new AbortController();
  const res = await fetch(url, { headers, signal: abort.signal });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("text/event-stream");
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const events: SseEvent[] = [];
  let buffer = "";
  let done = false;
  const pump = (async () => {
    try {
      for (;;) {
        const chunk = await reader.read();
        if (chunk.done) break;
        buffer += decoder.decode(chunk.value, { stream: true });
        for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields = new Map<string, string>();
          for (const line of block.split("\n")) {
            if (line.startsWith(":")) continue;
            const colon = line.indexOf(":");
            fields.set(line.slice(0, colon), line.slice(colon + 1).trimStart());
          }
          if (fields.has("event")) {
            events.push({ id: fields.get("id"), event: fields.get("event") ?? "", data: fields.get("data") ?? "" });
          }
        }
      }
    } catch {
      // aborted by close()
    } finally {
      done = true;
    }
  })();
  const records = () => events.filter((e) => e.event === "record").map((e) => JSON.parse(e.data) as LogRecord);
  return {
    events,
    records,
    async until(what: string, check: () => boolean, timeoutMs = 8000): Promise<void> {
      const limit = Date.now() + timeoutMs;
      while (!check()) {
        if (Date.now() > limit || done) throw new Error(`tail: no ${what}; got ${JSON.stringify(records().map((r) => r.msg))}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async close(): Promise<void> {
      abort.abort();
      await pump;
    },
  };
}

describe.each(testDialects())("live log tail on %s", (dialect) => {
  let t: TestApp;
  let base: string;
  const newRun = async (name: string) => {
    const res = await t.request({ method: "POST", url: "/api/v1/projects/ml/runs", payload: { name } });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<CreatedRun>();
  };
  const ingest = async (run: CreatedRun, records: object[]) => {
    const res = await t.request({
      method: "POST",
      url: `/api/v1/runs/${run.id}/logs`,
      payload: records.map((r) => JSON.stringify(r)).join("\n"),
      headers: { authorization: `Bearer ${run.ingestToken}`, "content-type": "application/x-ndjson" },
    });
    expect(res.statusCode, res.body).toBe(200);
  };
  const has = (stream: Awaited<ReturnType<typeof openTail>>, msg: string) => () => stream.records().some((r) => r.msg === msg);
  const open: Awaited<ReturnType<typeof openTail>>[] = [];
  const tail = async (run: CreatedRun, query = "", headers: Record<string, string> = {}) => {
    const stream = await openTail(`${base}/api/v1/runs/${run.id}/logs/tail?${query}`, {
      authorization: `Bearer ${t.token}`,
      ...headers,
    });
    open.push(stream);
    return stream;
  };
  const iso = (ms: number) => new Date(ms).toISOString();

  beforeAll(async () => {
    t = await startTestApp(dialect);
    await applyConfig(t, "ml", ONE_STAGE_YAML);
    base = await t.app.http.listen({ port: 0, host: "127.0.0.1" });
  });
  afterAll(async () => {
    // A failed test leaves its stream open, which would keep the server from closing.
    await Promise.all(open.map((stream) => stream.close()));
    await t.close();
  });

  it("sends a record that arrives after one stamped later (node B 2 s behind node A)", async () => {
    const run = await newRun("late");
    const now = Date.now();
    await ingest(run, [{ ts: iso(now - 10_000), node: "a", msg: "before the tail" }]);
    const stream = await tail(run);
    await stream.until("backlog", () => stream.records().length === 1);

    await ingest(run, [{ ts: iso(now), node: "a", msg: "A at now" }]);
    await stream.until("A's record", () => stream.records().some((r) => r.msg === "A at now"));
    await ingest(run, [{ ts: iso(now - 2000), node: "b", msg: "B stamped 2 s earlier" }]);
    await stream.until("B's late record", () => stream.records().some((r) => r.msg === "B stamped 2 s earlier"));
    await stream.close();

    expect(stream.records().map((r) => [r.node, r.msg])).toEqual([
      ["a", "before the tail"],
      ["a", "A at now"],
      ["b", "B stamped 2 s earlier"],
    ]);
    // Event ids never go back, so a reconnect resumes after the last one.
    const ids = stream.events.filter((e) => e.event === "record").map((e) => Number(e.id));
    expect(ids.every((id, i) => i === 0 || id >= (ids[i - 1] ?? 0))).toBe(true);
  });

  it("keeps the node, level and grep filters while following", async () => {
    const run = await newRun("filters");
    const stream = await tail(run, "node=b,c&level=error&q=cuda%20memory");
    const now = Date.now();
    await ingest(run, [
      { ts: iso(now), node: "a", level: "error", msg: "CUDA out of memory on a" },
      { ts: iso(now - 5000), node: "b", level: "error", msg: "CUDA out of memory: tried to allocate 2.00 GiB" },
      { ts: iso(now), node: "b", level: "info", msg: "CUDA memory stats" },
      { ts: iso(now), node: "c", level: "fatal", msg: "NCCL timeout" },
      { ts: iso(now - 1000), node: "c", level: "fatal", msg: "cuda: no memory left" },
    ]);
    await stream.until("two matches", () => stream.records().length >= 2);
    await ingest(run, [{ ts: iso(now - 60_000), node: "b", level: "error", msg: "late CUDA memory error" }]);
    await stream.until("the late match", () => stream.records().length >= 3);
    await stream.close();
    expect(stream.records().map((r) => r.msg)).toEqual([
      "CUDA out of memory: tried to allocate 2.00 GiB",
      "cuda: no memory left",
      "late CUDA memory error",
    ]);
  });

  it("resumes after Last-Event-ID without repeating the backlog, and ends when the run ends", async () => {
    const run = await newRun("resume");
    const now = Date.now();
    await ingest(run, [{ ts: iso(now), node: "a", msg: "one" }]);
    const first = await tail(run);
    await first.until("the backlog", () => first.records().length === 1);
    await ingest(run, [{ ts: iso(now + 1), node: "a", msg: "two" }]);
    await first.until("two", () => first.records().length === 2);
    await first.close();
    const lastId = first.events[first.events.length - 1]?.id ?? "";
    expect(lastId).toMatch(/^\d+$/);

    // While disconnected: a record stamped before everything sent.
    await ingest(run, [{ ts: iso(now - 30_000), node: "b", msg: "three, stamped early" }]);
    const second = await tail(run, "", { "last-event-id": lastId });
    await second.until("three", has(second, "three, stamped early"));
    const ended = await t.request({ method: "POST", url: `/api/v1/runs/${run.id}/end`, payload: { status: "succeeded" } });
    expect(ended.statusCode, ended.body).toBe(200);
    await second.until("end", () => second.events.some((e) => e.event === "end"));
    await second.close();
    // PostgreSQL resumes from the point below which every id had committed, which may repeat "two"; never "one".
    const resent = second.records().map((r) => r.msg);
    expect(dialect === "sqlite" ? resent : resent.filter((m) => m !== "two")).toEqual(["three, stamped early"]);
    expect(second.events[second.events.length - 1]).toMatchObject({ event: "end", data: '{"status":"succeeded"}' });
  });

  it("shows the last `limit` records first, in time order", async () => {
    const run = await newRun("backlog");
    const now = Date.now();
    await ingest(run, [
      { ts: iso(now - 3000), msg: "r1" },
      { ts: iso(now - 1000), msg: "r3" },
      { ts: iso(now - 2000), msg: "r2" },
    ]);
    const stream = await tail(run, "limit=2&follow=false");
    await stream.until("end", () => stream.events.some((e) => e.event === "end"));
    await stream.close();
    expect(stream.records().map((r) => r.msg)).toEqual(["r2", "r3"]);
  });

  /** PostgreSQL: a writer that takes its record's id, then holds its transaction open until `commit()`. */
  const slowWriter = async (run: CreatedRun) => {
    let commit: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      commit = resolve;
    });
    let inserted: () => void = () => undefined;
    const hasId = new Promise<void>((resolve) => {
      inserted = resolve;
    });
    const done = t.db.kysely.transaction().execute(async (tx) => {
      await sql`insert into run_logs (run_key, ts, node, level, severity, msg, attrs_json, trace_id, span_id, flags)
        select log_key, ${Date.now()}, 'slow', 'info', 9, 'slow writer', null, null, null, 0
        from runs where id = ${run.id}`.execute(tx);
      inserted();
      await held;
    });
    await hasId;
    return {
      async commit() {
        commit();
        await done;
      },
    };
  };

  it.runIf(dialect === "postgres")(
    "sends a record whose transaction took a lower id but committed after a higher one",
    async () => {
      const run = await newRun("concurrent");
      const stream = await tail(run);
      const slow = await slowWriter(run);
      try {
        await ingest(run, [{ node: "fast", msg: "fast writer" }]);
        await stream.until("the fast record", has(stream, "fast writer"));
      } finally {
        await slow.commit();
      }
      await stream.until("the slow record", has(stream, "slow writer"));
      await stream.close();
      const [fast, slowRecord] = ["fast writer", "slow writer"].map((m) => stream.records().find((r) => r.msg === m));
      expect(slowRecord?.id).toBeLessThan(fast?.id ?? 0);
      expect(stream.records().filter((r) => r.msg === "fast writer")).toHaveLength(1);
    },
  );

  it.runIf(dialect === "postgres")("sends a record still committing when the tail opens", async () => {
    const run = await newRun("opening");
    const slow = await slowWriter(run);
    await ingest(run, [{ node: "fast", msg: "fast writer" }]);
    const opening = tail(run); // waits for the slow transaction (up to 2 s) before its backlog
    await new Promise((resolve) => setTimeout(resolve, 300));
    await slow.commit();
    const stream = await opening;
    await stream.until("both records", () => has(stream, "slow writer")() && has(stream, "fast writer")());
    await stream.close();
  });

  it.runIf(dialect === "postgres")("resumes with Last-Event-ID without skipping a record still committing", async () => {
    const run = await newRun("resume");
    const first = await tail(run);
    const slow = await slowWriter(run);
    await ingest(run, [{ node: "fast", msg: "fast writer" }]);
    await first.until("the fast record", has(first, "fast writer"));
    await first.close();
    const lastId = first.events.filter((e) => e.event === "record").at(-1)?.id ?? "";
    await slow.commit();
    const second = await tail(run, "", { "last-event-id": lastId });
    await second.until("the slow record", has(second, "slow writer"));
    await second.close();
  });
});
