import { describe, expect, it } from "vitest";
import { ReportParseError } from "../parser.types.ts";
import { JsonObjectSplitter, type TopLevelEntry } from "./json-splitter.ts";

function split(text: string, chunkSize: number): TopLevelEntry[] {
  const splitter = new JsonObjectSplitter({ format: "istanbul", maxEntryLength: 1_000_000 });
  const entries: TopLevelEntry[] = [];
  for (let i = 0; i < text.length; i += chunkSize) entries.push(...splitter.push(text.slice(i, i + chunkSize)));
  splitter.end();
  return entries;
}

describe("JsonObjectSplitter", () => {
  const value = {
    'we"ird\\key': { s: 'a } string ] with { brackets, "quotes" and \\', n: [1, [2, {}], { x: "}" }] },
    "ünïcode 𠄉": [],
    plain: 42,
    text: "x,y}",
    nothing: null,
  };
  const text = JSON.stringify(value, null, 2);

  it.each([1, 2, 3, 7, 1000])("splits an object into its properties, %i characters at a time", (size) => {
    const entries = split(text, size);
    expect(entries.map((e) => [e.key, JSON.parse(e.json)])).toEqual(Object.entries(value));
    expect(entries.map((e) => e.line)).toEqual([2, 15, 16, 17, 18]);
  });

  it("accepts an empty object and whitespace around it", () => {
    expect(split(" \n{ }\n ", 1)).toEqual([]);
  });

  it.each([
    ["nothing", "", /empty/],
    ["an array", "[1]", /JSON object/],
    ["a trailing comma", '{"a": 1,}', /property name/],
    ["a missing value", '{"a": }', /a value/],
    ["a missing colon", '{"a" 1}', /:/],
    ["text after the object", '{"a": 1} {"b": 2}', /nothing after/],
    ["a cut-off object", '{"a": {"b": 1}', /cut short/],
  ])("refuses %s", (_, input, message) => {
    expect(() => split(input, 2)).toThrow(ReportParseError);
    expect(() => split(input, 2)).toThrow(message);
  });
});
