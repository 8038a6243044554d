import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fixturesDir } from "../../../../test/helpers/fixtures.ts";
import { encodeLz4Stream, lz4Blocks } from "../testing/encoders.ts";
import { analyzePath, readRollingDirectory } from "./event-log.files.ts";
import { SparkIngest } from "./spark-ingest.ts";

const dir = fixturesDir("spark");
const temp = await mkdtemp(join(tmpdir(), "spark-ingest-"));
afterAll(() => rm(temp, { recursive: true, force: true }));

async function* from(data: Uint8Array): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < data.length; at += 8192) yield data.subarray(at, at + 8192);
}

describe("rolling event log directories", () => {
  it("orders parts by N (events_10 after events_2) and reads .inprogress app status", async () => {
    const rolling = join(temp, "eventlog_v2_local-1");
    const original = await readFile(`${dir}/eventlog_minimal_events`, "utf8");
    const lines = original.split("\n");
    const third = Math.ceil(lines.length / 3);
    await import("node:fs/promises").then((fs) => fs.mkdir(rolling));
    await writeFile(join(rolling, "events_2_local-1"), `${lines.slice(third, 2 * third).join("\n")}\n`);
    await writeFile(join(rolling, "events_10_local-1"), lines.slice(2 * third).join("\n"));
    await writeFile(join(rolling, "events_1_local-1"), `${lines.slice(0, third).join("\n")}\n`);
    await writeFile(join(rolling, "appstatus_local-1.inprogress"), "");
    const found = await readRollingDirectory(rolling);
    expect(found.parts.map((p) => p.split("/").pop())).toEqual(["events_1_local-1", "events_2_local-1", "events_10_local-1"]);
    expect(found.appStatus).toBe("in_progress");
    const a = await analyzePath(rolling);
    const plain = await analyzePath(`${dir}/eventlog_minimal_events`);
    expect(a.counts).toEqual(plain.counts);
    expect(a.complete).toBe(false);
    expect(a.incompleteReasons.join(" ")).toMatch(/in progress/);
  });
});

describe("broken compressed streams", () => {
  it("analyses a corrupt lz4 file up to the broken block and says where it broke", async () => {
    const lz4 = new Uint8Array(await readFile(`${dir}/eventlog_minimal_events.lz4`));
    const blocks = [...lz4Blocks(lz4)];
    const middle = blocks[Math.floor(blocks.length / 2)];
    if (!middle) throw new Error("no blocks");
    const broken = lz4.slice();
    broken[middle.at + LZ4_MAGIC_BYTE] = 0x00;
    const ingest = new SparkIngest();
    await ingest.addPart(from(broken), "events.lz4");
    const a = ingest.finish();
    expect(a.complete).toBe(false);
    expect(a.counts.events).toBeGreaterThan(0);
    expect(a.counts.taskEnds).toBeLessThan(10);
    expect(a.findings.find((f) => f.code === "corrupt_stream")?.evidence).toMatchObject({
      codec: "lz4",
      offset: middle.at,
      part: 1,
    });
  });

  it("marks an lz4 stream without its end-of-stream block (still being written) as incomplete", async () => {
    const plain = new Uint8Array(await readFile(`${dir}/eventlog_minimal_events`));
    const ingest = new SparkIngest();
    await ingest.addPart(from(await encodeLz4Stream(plain, { close: false })), "events.lz4.inprogress");
    const a = ingest.finish();
    expect(a.counts.taskEnds).toBe(10);
    expect(a.complete).toBe(false);
    expect(a.incompleteReasons.join(" ")).toMatch(/no end-of-stream marker/);
  });

  it("analyses a zstd file cut in the middle as far as it goes", async () => {
    const zstd = new Uint8Array(await readFile(`${dir}/local-1776286786993.zstd`));
    const ingest = new SparkIngest();
    await ingest.addPart(from(zstd.subarray(0, Math.floor(zstd.length * 0.6))), "x.zstd");
    const a = ingest.finish();
    expect(a.complete).toBe(false);
    expect(a.counts.events).toBeGreaterThan(50);
    expect(a.counts.events).toBeLessThan(274);
    expect(a.incompleteReasons.join(" ")).toMatch(/cut off/);
  });
});

/** Byte 0 of a block header is the "L" of "LZ4Block": zeroing it breaks the magic. */
const LZ4_MAGIC_BYTE = 0;
