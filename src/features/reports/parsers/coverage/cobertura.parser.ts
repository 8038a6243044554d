import type { SaxesTagPlain } from "saxes";
import type { Chunks, FileCoverage } from "../parser.types.ts";
import { COVERAGE_DEFAULTS, type CoberturaReport, type CoverageParseOptions } from "./coverage.types.ts";
import { newFileCoverage, parseCount, parseLineNumber, recordBranches, recordLine } from "./file-coverage.ts";
import { createXmlReader } from "./xml.ts";

/**
 * Cobertura XML (coverage-04.dtd) as written by Cobertura itself, coverage.py, coverlet and gocover-cobertura.
 *
 * - Paths: each class's `filename` is yielded as given. The `<source>` roots are returned when the generator finishes
 *   (`CoberturaReport`), so the service can resolve relative names; they sit before `<packages>` in every flavour.
 * - Lines: a `<line>` appears both under `<methods>` and under the class's own `<lines>`. Every `<line>` of a class is
 *   read and a line seen twice keeps the larger count, so nothing is counted twice and a producer that writes only
 *   method lines still works.
 * - Several classes share one file (nested and compiler-generated classes); adjacent classes of the same file are merged
 *   into one record, and a file that comes back later is yielded again for the consumer to merge.
 * - Branches come from `condition-coverage="50% (1/2)"`: 1 of 2 branches on that line covered.
 */
export async function* parseCobertura(
  source: Chunks,
  options: CoverageParseOptions = {},
): AsyncGenerator<FileCoverage[], CoberturaReport> {
  const sources: string[] = [];
  const done: FileCoverage[] = [];
  let current: FileCoverage | null = null;
  let inClass = false;
  let sourceText: string[] | null = null;

  const flush = () => {
    if (current !== null) done.push(current);
    current = null;
  };

  const xml = createXmlReader({
    format: "cobertura",
    root: "coverage",
    maxDepth: options.maxDepth ?? COVERAGE_DEFAULTS.maxDepth,
    handlers: {
      open(tag) {
        switch (tag.name) {
          case "source":
            sourceText = [];
            break;
          case "class": {
            const filename = tag.attributes.filename;
            if (!filename) throw xml.error("<class> without a filename attribute");
            if (current?.path !== filename) {
              flush();
              current = newFileCoverage(filename);
            }
            inClass = true;
            break;
          }
          case "line":
            if (inClass && current !== null) readLine(current, tag);
            break;
        }
      },
      close(name) {
        if (name === "class") inClass = false;
        else if (name === "package" || name === "coverage") flush();
        else if (name === "source" && sourceText !== null) {
          const path = sourceText.join("").trim();
          if (path !== "") sources.push(path);
          sourceText = null;
        }
      },
      text(text) {
        sourceText?.push(text);
      },
    },
  });

  function readLine(file: FileCoverage, tag: SaxesTagPlain): void {
    const { number, hits } = tag.attributes;
    const line = parseLineNumber(number);
    const count = parseCount(hits);
    if (line === null) throw xml.error(`<line number="${number ?? ""}"> should have a line number ≥ 1`);
    if (count === null) throw xml.error(`<line number="${number}" hits="${hits ?? ""}"> should have a hit count ≥ 0`);
    recordLine(file, line, count);
    const conditions = tag.attributes["condition-coverage"];
    if (conditions === undefined) return;
    const match = /\((\d+)\/(\d+)\)/.exec(conditions);
    const covered = parseCount(match?.[1]);
    const total = parseCount(match?.[2]);
    if (covered === null || total === null || covered > total) {
      throw xml.error(`condition-coverage="${conditions}" on line ${line} should look like "50% (1/2)"`);
    }
    if (total > 0) recordBranches(file, line, covered, total);
  }

  yield* xml.run(source, done);
  return { sources };
}
