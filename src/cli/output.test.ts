import { describe, expect, it } from "vitest";
import { alignColumns, elapsed, formatFields, formatTable, relativeTime } from "./output.ts";

describe("formatTable", () => {
  it("aligns columns to the widest cell with two spaces between them", () => {
    const table = formatTable(
      ["VERSION", "STATUS", "BY"],
      [
        ["1.10.0", "succeeded", "alice"],
        ["1.9.0", "failed", "bob"],
      ],
    );

    expect(table.split("\n")).toEqual([
      "VERSION  STATUS     BY", //
      "1.10.0   succeeded  alice",
      "1.9.0    failed     bob",
    ]);
  });

  it("leaves no trailing blanks, even when the last column is empty", () => {
    const table = alignColumns([
      ["live", "1.4.0", ""],
      ["quant_stg", "-", ""],
    ]);

    expect(table).toBe("live       1.4.0\nquant_stg  -");
  });

  it("counts characters, not UTF-16 units, when padding", () => {
    const table = formatTable(
      ["ENVS", "N"],
      [
        ["a → b", "1"],
        ["abcdef", "2"],
      ],
    );

    expect(table.split("\n")).toEqual(["ENVS    N", "a → b   1", "abcdef  2"]);
  });

  it("prints only the header for no rows", () => {
    expect(formatTable(["ID", "STATUS"], [])).toBe("ID  STATUS");
  });
});

describe("formatFields", () => {
  it("aligns values after their keys and shows missing ones as -", () => {
    expect(
      formatFields([
        ["ID", "dep_1"],
        ["Reason", null],
        ["Environment", "live"],
      ]),
    ).toBe("ID:           dep_1\nReason:       -\nEnvironment:  live");
  });
});

describe("relativeTime", () => {
  const now = Date.parse("2026-11-25T12:00:00.000Z");

  it.each([
    ["2026-11-25T11:59:58.000Z", "just now"],
    ["2026-11-25T11:59:18.000Z", "42s ago"],
    ["2026-11-25T11:55:00.000Z", "5m ago"],
    ["2026-11-25T09:00:00.000Z", "3h ago"],
    ["2026-11-23T11:00:00.000Z", "2d ago"],
    ["2026-11-25T12:05:00.000Z", "in 5m"],
    ["2026-09-01T08:00:00.000Z", "2026-09-01"],
  ])("renders %s as %s", (iso, expected) => {
    expect(relativeTime(iso, now)).toBe(expected);
  });

  it("renders a missing time as - and keeps a string it cannot parse", () => {
    expect(relativeTime(null, now)).toBe("-");
    expect(relativeTime(undefined, now)).toBe("-");
    expect(relativeTime("yesterday", now)).toBe("yesterday");
  });
});

describe("elapsed", () => {
  it("formats the span between two timestamps, or - when one is missing", () => {
    expect(elapsed("2026-11-25T12:00:00.000Z", "2026-11-25T12:01:05.000Z")).toBe("1m5s");
    expect(elapsed("2026-11-25T12:00:00.000Z", null)).toBe("-");
  });
});
