import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { uncompress } from "snappyjs";
import { describe, expect, it } from "vitest";
import { fixturesDir } from "../../../../test/helpers/fixtures.ts";
import { DomainError } from "../../../shared/errors.ts";
import { encodeLz4Block, encodeLz4Stream, encodeSnappyStream, lz4Blocks } from "../testing/encoders.ts";
import { decodeEventLog } from "./decode.ts";
import { codecFromName, detectCodec } from "./detect.ts";
import { CorruptStreamError, TruncatedStreamError } from "./errors.ts";
import { decodeLz4Block } from "./lz4-block.ts";
import { LZ4_HEADER_LENGTH, lz4Checksum, xxhash32 } from "./lz4-stream.ts";

const dir = fixturesDir("spark");
const plain = new Uint8Array(readFileSync(`${dir}/eventlog_minimal_events`));
const lz4File = new Uint8Array(readFileSync(`${dir}/eventlog_minimal_events.lz4`));
const snappyFile = new Uint8Array(readFileSync(`${dir}/eventlog_minimal_events.snappy`));

async function* chunks(data: Uint8Array, size = 4096): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < data.length; at += size) yield data.subarray(at, at + size);
}

async function decodeAll(data: Uint8Array, name = "", size = 4096): Promise<Uint8Array> {
  const decoded = await decodeEventLog(chunks(data, size), { name });
  const parts: Uint8Array[] = [];
  for await (const part of decoded.bytes) parts.push(part);
  return Buffer.concat(parts);
}

describe("lz4 (lz4-java LZ4BlockOutputStream framing)", () => {
  it("decodes every block of Spark's file to the matching slice of the original, checksums included", async () => {
    const { h32Raw } = await xxhash32();
    let offset = 0;
    let blocks = 0;
    for (const block of lz4Blocks(lz4File)) {
      if (block.original === 0) continue;
      const body = lz4File.subarray(block.at + LZ4_HEADER_LENGTH, block.at + LZ4_HEADER_LENGTH + block.compressed);
      const out = new Uint8Array(block.original);
      if ((block.token & 0xf0) === 0x20) expect(decodeLz4Block(body, out)).toBe(block.original);
      else out.set(body);
      const expected = plain.subarray(offset, offset + block.original);
      expect(Buffer.from(out).equals(expected)).toBe(true);
      expect(lz4Checksum(h32Raw, expected)).toBe(block.checksum);
      offset += block.original;
      blocks++;
    }
    expect(offset).toBe(plain.length);
    expect(blocks).toBeGreaterThan(10);
  });

  it("writes the same block headers as lz4-java for the same block boundaries", async () => {
    const theirs = [...lz4Blocks(lz4File)];
    const flushes: number[] = [];
    let at = 0;
    for (const block of theirs) {
      at += block.original;
      flushes.push(at);
    }
    const ours = [...lz4Blocks(await encodeLz4Stream(plain, { flushes }))];
    expect(ours.map(({ token, original, checksum }) => ({ token: token & 0x0f, original, checksum }))).toEqual(
      theirs.map(({ token, original, checksum }) => ({ token: token & 0x0f, original, checksum })),
    );
  });

  it("round-trips any bytes through our block encoder and the decoder", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 5000 }), fc.integer({ min: 1, max: 8 }), (bytes, repeat) => {
        const data = Buffer.concat(Array.from({ length: repeat }, () => bytes));
        const out = new Uint8Array(data.length);
        expect(decodeLz4Block(encodeLz4Block(data), out)).toBe(data.length);
        expect(Buffer.from(out).equals(data)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it("reads a stream with several end markers (concatenated streams), as Spark does", async () => {
    const half = plain.length >> 1;
    const joined = Buffer.concat([await encodeLz4Stream(plain.subarray(0, half)), await encodeLz4Stream(plain.subarray(half))]);
    expect(Buffer.from(await decodeAll(joined)).equals(plain)).toBe(true);
  });

  it("stops at a block whose checksum is wrong, saying at which byte, after yielding the blocks before", async () => {
    const broken = lz4File.slice();
    const third = [...lz4Blocks(broken)][2];
    if (!third) throw new Error("fixture has fewer than 3 blocks");
    broken[third.at + 17] = (broken[third.at + 17] ?? 0) ^ 0xff;
    const decoded = await decodeEventLog(chunks(broken), { name: "x.lz4" });
    const parts: Uint8Array[] = [];
    const error = await (async () => {
      for await (const part of decoded.bytes) parts.push(part);
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CorruptStreamError);
    expect((error as CorruptStreamError).offset).toBe(third.at);
    expect((error as Error).message).toMatch(/checksum/);
    expect(Buffer.concat(parts).length).toBeGreaterThan(0);
  });

  it("reports a stream cut inside a block as truncated, not corrupt", async () => {
    const cut = lz4File.subarray(0, 1000);
    await expect(decodeAll(cut, "x.lz4")).rejects.toBeInstanceOf(TruncatedStreamError);
  });
});

describe("snappy (snappy-java SnappyOutputStream framing)", () => {
  it("decodes every block of Spark's file to the matching slice of the original", () => {
    const view = new DataView(snappyFile.buffer, snappyFile.byteOffset, snappyFile.byteLength);
    let at = 16;
    let offset = 0;
    while (at < snappyFile.length) {
      const length = view.getInt32(at, false);
      const block = uncompress(snappyFile.slice(at + 4, at + 4 + length));
      expect(Buffer.from(block).equals(plain.subarray(offset, offset + block.length))).toBe(true);
      offset += block.length;
      at += 4 + length;
    }
    expect(offset).toBe(plain.length);
  });

  it("round-trips through our writer, with headers of concatenated streams in between", async () => {
    const half = plain.length >> 1;
    const joined = Buffer.concat([
      encodeSnappyStream(plain.subarray(0, half)),
      encodeSnappyStream(plain.subarray(half), { blockSize: 1000 }),
    ]);
    expect(Buffer.from(await decodeAll(joined, "", 777)).equals(plain)).toBe(true);
  });

  it("stops at a garbled block with its offset", async () => {
    const broken = snappyFile.slice();
    broken.fill(0xee, 40_000, 40_100);
    await expect(decodeAll(broken)).rejects.toBeInstanceOf(CorruptStreamError);
  });
});

describe("codec detection and limits", () => {
  it("trusts magic bytes over the file name", async () => {
    expect(detectCodec(lz4File.subarray(0, 16), "events_1_app.zstd")).toBe("lz4");
    expect(detectCodec(snappyFile.subarray(0, 16), "log")).toBe("snappy");
    expect(detectCodec(gzipSync(plain).subarray(0, 16), "log")).toBe("gzip");
    expect(detectCodec(plain.subarray(0, 16), "log.zstd")).toBe("none");
    expect(codecFromName("events_1_local-1.zstd")).toBe("zstd");
    expect(Buffer.from(await decodeAll(gzipSync(plain), "log.gz")).equals(plain)).toBe(true);
  });

  it.each([
    ["%PDF-1.7\n%\xe2\xe3", /a PDF document/],
    ["<!DOCTYPE html><html>", /an HTML page/],
    ["PK\u0003\u0004zipzip", /a ZIP archive/],
    ["hello, world\nthis is text", /plain text starting with "hello, world/],
    ["", /an empty file/],
  ])("refuses %j as not an event log, saying what it looks like", (text, looksLike) => {
    const error = (() => {
      try {
        detectCodec(Buffer.from(text, "latin1"), "upload");
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe("invalid_report");
    expect((error as DomainError).message).toMatch(looksLike);
  });

  it("refuses a decompression bomb with a 413 code once the ratio cap is passed", async () => {
    const bomb = gzipSync(Buffer.alloc(20 * 1024 * 1024, 0x20));
    const decoded = await decodeEventLog(chunks(bomb), {
      name: "bomb.gz",
      limits: { maxDecompressedBytes: 1024 ** 3, maxRatio: 100, ratioAfterBytes: 1024 * 1024 },
    });
    const error = await (async () => {
      for await (const _ of decoded.bytes) {
        // drain
      }
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe("payload_too_large");
  });

  it("refuses more decompressed bytes than the size cap", async () => {
    const decoded = await decodeEventLog(chunks(plain), {
      limits: { maxDecompressedBytes: 100_000, maxRatio: 1000, ratioAfterBytes: 1 },
    });
    await expect(
      (async () => {
        for await (const _ of decoded.bytes) {
          // drain
        }
      })(),
    ).rejects.toMatchObject({ code: "payload_too_large" });
  });
});
