import { describe, expect, it } from "vitest";
import { chunked } from "./parser.test-helpers.ts";
import { type XmlEvent, xmlEvents } from "./xml.stream.ts";

async function events(xml: string, size: number): Promise<XmlEvent[]> {
  const all: XmlEvent[] = [];
  for await (const batch of xmlEvents(chunked(xml, size), { format: "cobertura", maxDepth: 16 })) all.push(...batch);
  return all;
}

describe("xmlEvents", () => {
  it("streams opens, closes and text (CDATA included) with depths, whatever the chunk size", async () => {
    const xml = '<?xml version="1.0"?>\n<a x="1 &amp; 2"><b/><c>t<![CDATA[<raw>]]>u</c></a>';
    const expected = [
      { kind: "open", name: "a", attributes: { x: "1 & 2" }, depth: 1, line: 2 },
      { kind: "open", name: "b", attributes: {}, depth: 2 },
      { kind: "close", name: "b", depth: 2 },
      { kind: "open", name: "c", attributes: {}, depth: 2 },
      { kind: "text", text: "t", depth: 2 },
      { kind: "text", text: "<raw>", depth: 2 },
      { kind: "text", text: "u", depth: 2 },
      { kind: "close", name: "c", depth: 2 },
      { kind: "close", name: "a", depth: 1 },
    ];
    expect(await events(xml, 1000)).toMatchObject(expected);
    const small = await events(xml, 3);
    // Small chunks split text events; joined they are the same.
    expect(small.filter((e) => e.kind !== "text")).toMatchObject(expected.filter((e) => e.kind !== "text"));
    expect(small.flatMap((e) => (e.kind === "text" ? [e.text] : [])).join("")).toBe("t<raw>u");
  });

  it("puts the caller's format on its errors", async () => {
    await expect(events("<a><b></a>", 4)).rejects.toMatchObject({ name: "ReportParseError", format: "cobertura", line: 1 });
  });
});
