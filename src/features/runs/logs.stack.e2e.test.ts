import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyConfig, pipelineYaml, startTestApp, type TestApp } from "../../../test/helpers/app.ts";
import { testDialects } from "../../../test/helpers/db.ts";
import type { RunSummary } from "../../shared/runs.api.ts";
import type { CreatedRun, LogRecord } from "./runs.types.ts";

const TRACEBACK = `Traceback (most recent call last):
  File "/opt/job/train.py", line 88, in <module>
    trainer.fit(model)
RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB`;

describe.each(testDialects())("stack traces sent as attributes, on %s", (dialect) => {
  let t: TestApp;
  let run: CreatedRun;
  const search = async (q: string) => {
    const res = await t.request({ method: "GET", url: `/api/v1/runs/${run.id}/logs?q=${encodeURIComponent(q)}` });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<{ items: LogRecord[] }>().items;
  };

  beforeAll(async () => {
    t = await startTestApp(dialect);
    await applyConfig(t, "shop", pipelineYaml());
    run = (await t.request({ method: "POST", url: "/api/v1/projects/shop/runs", payload: { name: "train" } })).json();
  });
  afterAll(() => t.close());

  it("are searchable, shown with the message and the error group's example, from NDJSON and OTLP", async () => {
    const ndjson = [
      { level: "error", node: "rank-0", msg: "step failed", stack: TRACEBACK, step: 12 },
      { level: "info", node: "rank-1", msg: "epoch 1 done", exc_info: "" },
    ]
      .map((r) => JSON.stringify(r))
      .join("\n");
    const sent = await t.request({
      method: "POST",
      url: `/api/v1/runs/${run.id}/logs`,
      payload: ndjson,
      headers: { authorization: `Bearer ${run.ingestToken}`, "content-type": "application/x-ndjson" },
    });
    expect(sent.json()).toMatchObject({ accepted: 2, rejected: 0 });
    const otlp = await t.request({
      method: "POST",
      url: "/v1/logs",
      headers: { authorization: `Bearer ${run.ingestToken}`, "content-type": "application/json" },
      payload: {
        resourceLogs: [
          {
            resource: { attributes: [{ key: "host.name", value: { stringValue: "rank-2" } }] },
            scopeLogs: [
              {
                logRecords: [
                  {
                    timeUnixNano: String(BigInt(Date.now()) * 1_000_000n),
                    severityNumber: 17,
                    body: { stringValue: "allreduce failed" },
                    attributes: [
                      { key: "exception.type", value: { stringValue: "DistBackendError" } },
                      { key: "exception.stacktrace", value: { stringValue: "DistBackendError: NCCL error\n  at ncclCommAbort" } },
                    ],
                  },
                ],
              },
            ],
          },
        ],
      },
    });
    expect(otlp.statusCode, otlp.body).toBe(200);

    const [cuda] = await search("RuntimeError");
    expect(cuda).toMatchObject({ node: "rank-0", msg: `step failed\n${TRACEBACK}`, attributes: { step: 12 } });
    expect((await search("CUDA memory")).map((r) => r.node)).toEqual(["rank-0"]);
    const [nccl] = await search("ncclCommAbort");
    expect(nccl).toMatchObject({
      node: "rank-2",
      msg: "allreduce failed\nDistBackendError: NCCL error\n  at ncclCommAbort",
      attributes: { "exception.type": "DistBackendError" },
    });
    // An empty stack attribute is no stack: kept as it was sent.
    expect((await search("epoch"))[0]).toMatchObject({ msg: "epoch 1 done", attributes: { exc_info: "" } });

    const summary = (await t.request({ method: "GET", url: `/api/v1/runs/${run.id}/summary` })).json<RunSummary>();
    const group = summary.topErrors.find((e) => e.example.message === "step failed");
    expect(group?.example.stack).toBe(TRACEBACK);
  });
});
