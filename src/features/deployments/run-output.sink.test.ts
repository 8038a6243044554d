import { describe, expect, it } from "vitest";
import { MemoryLogSink } from "./executors/executor.contract.ts";
import { teeToRun } from "./run-output.sink.ts";

describe("a step's output copied to its run", () => {
  it("keeps every line in the deployment log and sends command output to the run in batches, in order", async () => {
    const inner = new MemoryLogSink();
    const sent: string[][] = [];
    const tee = teeToRun(
      inner,
      async (lines) => void sent.push(lines),
      () => undefined,
    );
    tee.write("system", "starting");
    for (let i = 0; i < 2500; i++) tee.write(i % 2 ? "stderr" : "stdout", `line ${i}`);
    await tee.close();
    expect(inner.lines).toHaveLength(2501);
    expect(sent.map((batch) => batch.length)).toEqual([1000, 1000, 500]);
    expect(sent.flat()).toEqual(Array.from({ length: 2500 }, (_, i) => `line ${i}`));
  });

  it("reports a batch the run refuses and goes on with the next", async () => {
    const failures: unknown[] = [];
    const sent: string[][] = [];
    let first = true;
    const tee = teeToRun(
      new MemoryLogSink(),
      async (lines) => {
        if (first) {
          first = false;
          throw new Error("run ended");
        }
        sent.push(lines);
      },
      (error) => failures.push(error),
    );
    tee.write("stdout", "a");
    await tee.flush();
    tee.write("stdout", "b");
    await tee.close();
    expect(failures).toHaveLength(1);
    expect(sent).toEqual([["b"]]);
  });
});
