import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fingerprintOf, normaliseMessage } from "./fingerprint.ts";
import {
  boundAttributes,
  LIMITS,
  levelOfSeverity,
  parseLevel,
  parseNdjsonLine,
  parseTimestamp,
  truncate,
} from "./logs.normalize.ts";
import { parseNvidiaSmiCsv } from "./nvidia-smi.parser.ts";
import { logsFromOtlp, metricsFromOtlp, nanosToMs } from "./otlp.convert.ts";
import { decodeExportRequest, decodeProtobuf, encodeProtobuf, OtlpTypes } from "./otlp.proto.ts";
import { parsePrometheus } from "./prometheus.parser.ts";

describe("error fingerprints", () => {
  it("groups the same failure from different workers, ids, paths and addresses", () => {
    const a = normaliseMessage("CUDA out of memory on device 0 at 0x7f3a2b while loading /data/shard-0012/part.parquet");
    const b = normaliseMessage("CUDA out of memory on device 3 at 0x99aa11 while loading /data/shard-0871/part.parquet");
    expect(a).toBe(b);
    expect(a).toBe("CUDA out of memory on device <n> at <hex> while loading <path>");
    expect(normaliseMessage("task 3f2c1e9a-1b2c-4d5e-8f90-123456789abc failed on 10.0.3.17:7077")).toBe(
      "task <uuid> failed on <ip>",
    );
    expect(fingerprintOf(a)).not.toBe(fingerprintOf(normaliseMessage("NCCL timeout")));
  });

  it("uses only the first line, so stacks with different line numbers do not split a group", () => {
    expect(normaliseMessage("ValueError: bad\n  File x.py, line 12")).toBe(
      normaliseMessage("ValueError: bad\n  File y.py, line 99"),
    );
  });

  it("is stable: normalising twice changes nothing", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        const once = normaliseMessage(text);
        expect(normaliseMessage(once)).toBe(once);
      }),
    );
  });
});

describe("log record bounds", () => {
  it("never stores more than the message limit plus its marker, on any input", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40_000, unit: "grapheme" }), (text) => {
        const { text: out, cut } = truncate(text, LIMITS.messageBytes);
        expect(Buffer.byteLength(out)).toBeLessThanOrEqual(LIMITS.messageBytes + 40);
        expect(cut).toBe(Buffer.byteLength(text.replaceAll("\u0000", "")) > LIMITS.messageBytes);
      }),
    );
  });

  it("keeps at most the attribute limit and says what it dropped", () => {
    const many = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`k${i}`, i]));
    const { attrs, cut } = boundAttributes(many);
    expect(cut).toBe(true);
    expect(Object.keys(attrs ?? {})).toHaveLength(LIMITS.attributes + 1);
    expect(attrs?.["stagegate.truncated"]).toBe("500 attributes sent, 64 kept");
  });

  it("reads levels and timestamps the way jobs write them", () => {
    expect([parseLevel("WARNING"), parseLevel("CRITICAL"), parseLevel(40), parseLevel(17), parseLevel("nope")]).toEqual([
      "warn",
      "fatal",
      "error",
      "error",
      undefined,
    ]);
    expect(levelOfSeverity(13)).toBe("warn");
    expect(parseTimestamp(1_764_590_000)).toBe(1_764_590_000_000);
    expect(parseTimestamp("1764590000123")).toBe(1_764_590_000_123);
    expect(parseTimestamp("2026-12-01 12:00:00Z")).toBe(Date.UTC(2026, 11, 1, 12));
    expect(parseTimestamp("yesterday")).toBeUndefined();
    expect(parseLevel("constructor")).toBeUndefined();
    expect(parseLevel(" Warn ")).toBe("warn");
  });

  it("reads ISO-8601 UTC times exactly as Date.parse does, valid or not", () => {
    const two = (n: number) => String(n).padStart(2, "0");
    fc.assert(
      fc.property(
        fc.record({
          year: fc.integer({ min: 0, max: 9999 }),
          month: fc.integer({ min: 0, max: 13 }),
          day: fc.integer({ min: 0, max: 32 }),
          hour: fc.integer({ min: 0, max: 25 }),
          minute: fc.integer({ min: 0, max: 60 }),
          second: fc.integer({ min: 0, max: 60 }),
          ms: fc.option(fc.integer({ min: 0, max: 999 })),
        }),
        (t) => {
          const text = `${String(t.year).padStart(4, "0")}-${two(t.month)}-${two(t.day)}T${two(t.hour)}:${two(t.minute)}:${two(
            t.second,
          )}${t.ms === null ? "" : `.${String(t.ms).padStart(3, "0")}`}Z`;
          const expected = Date.parse(text);
          expect(parseTimestamp(text)).toBe(Number.isNaN(expected) ? undefined : expected);
        },
      ),
      { numRuns: 5000 },
    );
    expect(parseTimestamp("2024-02-29T23:59:59.999Z")).toBe(Date.UTC(2024, 1, 29, 23, 59, 59, 999));
    expect(parseTimestamp("2023-02-29T00:00:00Z")).toBe(Date.parse("2023-02-29T00:00:00Z") || undefined);
    expect(parseTimestamp("0099-01-01T00:00:00Z")).toBe(Date.parse("0099-01-01T00:00:00Z"));
  });

  it("rejects a line that starts like JSON but is not, and keeps other fields as attributes", () => {
    expect(parseNdjsonLine('{"msg": oops', 4)).toEqual({ ok: false, line: 4, reason: expect.stringMatching(/not valid JSON/) });
    const parsed = parseNdjsonLine('{"message":"hi","levelname":"ERROR","hostname":"w1","rank":3}', 1);
    expect(parsed).toMatchObject({ ok: true, record: { msg: "hi", level: "error", node: "w1", attrs: { rank: 3 } } });
    // Keys that are also names on Object.prototype are fields like any other.
    const proto = parseNdjsonLine('  {"msg":"x","constructor":"c","toString":1}', 2);
    expect(proto).toMatchObject({ ok: true, record: { msg: "x", attrs: { constructor: "c", toString: 1 } } });
    const own = parseNdjsonLine('{"msg":"x","__proto__":{"polluted":true}}', 3);
    expect(own?.ok && JSON.stringify(own.record.attrs)).toBe('{"__proto__":{"polluted":true}}');
    expect(own?.ok && Object.getPrototypeOf(own.record.attrs)).toBe(Object.prototype);
  });

  it("reads OTLP nanosecond times as whole milliseconds, rounded down, from any decimal string", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 24n }), fc.nat({ max: 3 }), (nanos, zeros) => {
        const ms = Number(nanos / 1_000_000n);
        expect(nanosToMs(`${"0".repeat(zeros)}${nanos}`)).toBe(ms > 0 ? ms : undefined);
      }),
    );
    expect(nanosToMs("1700000000000999999")).toBe(1_700_000_000_000);
  });

  it("reads protobuf 64-bit integers exactly as their decimal strings", () => {
    const u64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
    const i64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
    fc.assert(
      fc.property(u64, u64, i64, (time, count, int) => {
        const resource = { attributes: [{ key: "host.name", value: { stringValue: "w1" } }] };
        const attributes = [{ key: "n", value: { intValue: String(int) } }];
        const logs = encodeProtobuf(OtlpTypes.logsRequest, {
          resourceLogs: [{ resource, scopeLogs: [{ logRecords: [{ timeUnixNano: String(time), attributes }] }] }],
        });
        expect(logsFromOtlp(decodeExportRequest(OtlpTypes.logsRequest, logs))).toEqual(
          logsFromOtlp(decodeProtobuf(OtlpTypes.logsRequest, logs)),
        );
        const point = { timeUnixNano: String(time), attributes };
        const metrics = encodeProtobuf(OtlpTypes.metricsRequest, {
          resourceMetrics: [
            {
              resource,
              scopeMetrics: [
                {
                  metrics: [
                    { name: "g", gauge: { dataPoints: [{ ...point, asInt: String(int) }] } },
                    { name: "h", histogram: { dataPoints: [{ ...point, count: String(count), sum: 1.5 }] } },
                  ],
                },
              ],
            },
          ],
        });
        expect(metricsFromOtlp(decodeExportRequest(OtlpTypes.metricsRequest, metrics), 1)).toEqual(
          metricsFromOtlp(decodeProtobuf(OtlpTypes.metricsRequest, metrics), 1),
        );
      }),
      { numRuns: 500 },
    );
  });

  it("keeps attributes within the bounds as they are, and cuts a long one among short ones", () => {
    const small = { rank: 3, ok: true, host: "w1", "exception.type": "ValueError" };
    expect(boundAttributes(small)).toEqual({ attrs: small, cut: false });
    expect(boundAttributes({})).toEqual({ attrs: null, cut: false });
    const { attrs, cut } = boundAttributes({ ...small, big: "x".repeat(LIMITS.valueBytes + 1) });
    expect(cut).toBe(true);
    expect(attrs).toMatchObject({ ...small, big: expect.stringContaining("…[truncated 1 bytes]") });
  });
});

describe("Prometheus text", () => {
  it("reads labels with escapes, special values and timestamps, and reports bad lines", () => {
    const { samples, errors } = parsePrometheus(
      [
        "# HELP x y",
        'a{path="C:\\\\dir",msg="say \\"hi\\"\\n"} 1.5e+3 1700000000000',
        "b +Inf",
        "c{} NaN",
        'd{x="1"} notanumber',
      ].join("\n"),
    );
    expect(samples[0]).toEqual({
      name: "a",
      labels: { path: "C:\\dir", msg: 'say "hi"\n' },
      value: 1500,
      ts: 1_700_000_000_000,
      line: 2,
    });
    expect(samples[1]?.value).toBe(Number.POSITIVE_INFINITY);
    expect(samples[2]?.value).toBeNaN();
    expect(samples.map((s) => s.line)).toEqual([2, 3, 4]);
    expect(errors).toEqual([{ line: 5, reason: 'value "notanumber" is not a number' }]);
  });
});

describe("nvidia-smi CSV", () => {
  it("numbers repeated samples per GPU and drops [N/A]", () => {
    const { samples } = parseNvidiaSmiCsv(
      "index, utilization.gpu [%], memory.used [MiB]\n0, 10 %, [N/A]\n1, 20 %, 5 MiB\n0, 30 %, 7 MiB\n",
    );
    expect(samples.map((s) => [s.gpu, s.sequence, s.values])).toEqual([
      ["0", 0, { "utilization.gpu": 10 }],
      ["1", 0, { "utilization.gpu": 20, "memory.used": 5 }],
      ["0", 1, { "utilization.gpu": 30, "memory.used": 7 }],
    ]);
  });
});
