import type { SaxesTagPlain } from "saxes";
import type { Chunks, FileCoverage } from "../parser.types.ts";
import { COVERAGE_DEFAULTS, type CoverageParseOptions } from "./coverage.types.ts";
import { newFileCoverage, parseCount, parseLineNumber, recordBranches, recordLine } from "./file-coverage.ts";
import { createXmlReader } from "./xml.ts";

/**
 * JaCoCo XML (report.dtd, https://www.jacoco.org/jacoco/trunk/coverage/report.dtd). Line data lives only under
 * `<sourcefile>`; its path is the package's slash-separated name plus the file name (`test/sub/Sub.java`).
 *
 * `<line nr mi ci mb cb>` counts instructions, not executions: a line's "hits" is its covered-instruction count `ci`,
 * so a line is covered when at least one of its instructions ran (JaCoCo's own LINE counter says the same, a partly
 * covered line counts as covered). Branches on the line: `cb` covered of `mb + cb`.
 */
export async function* parseJacoco(source: Chunks, options: CoverageParseOptions = {}): AsyncGenerator<FileCoverage[]> {
  const done: FileCoverage[] = [];
  let packageName = "";
  let current: FileCoverage | null = null;

  const xml = createXmlReader({
    format: "jacoco",
    root: "report",
    maxDepth: options.maxDepth ?? COVERAGE_DEFAULTS.maxDepth,
    handlers: {
      open(tag) {
        switch (tag.name) {
          case "package":
            packageName = (tag.attributes.name ?? "").replace(/\/+$/, "");
            break;
          case "sourcefile": {
            const name = tag.attributes.name;
            if (!name) throw xml.error("<sourcefile> without a name attribute");
            current = newFileCoverage(packageName === "" ? name : `${packageName}/${name}`);
            break;
          }
          case "line":
            if (current !== null) readLine(current, tag);
            break;
          case "counter":
            if (current !== null && tag.attributes.type === "METHOD") readMethods(current, tag);
            break;
        }
      },
      close(name) {
        if (name === "package") packageName = "";
        else if (name === "sourcefile" && current !== null) {
          done.push(current);
          current = null;
        }
      },
    },
  });

  function readLine(file: FileCoverage, tag: SaxesTagPlain): void {
    const { nr, mi, ci, mb, cb } = tag.attributes;
    const line = parseLineNumber(nr);
    const counts = [mi, ci, mb, cb].map(parseCount);
    const [, covered, missedBranches, coveredBranches] = counts;
    if (line === null || counts.some((count) => count === null)) {
      throw xml.error(
        `<line nr="${nr ?? ""}" mi="${mi ?? ""}" ci="${ci ?? ""}" mb="${mb ?? ""}" cb="${cb ?? ""}"> needs a line ≥ 1 and counts ≥ 0`,
      );
    }
    recordLine(file, line, covered ?? 0);
    const total = (missedBranches ?? 0) + (coveredBranches ?? 0);
    if (total > 0) recordBranches(file, line, coveredBranches ?? 0, total);
  }

  function readMethods(file: FileCoverage, tag: SaxesTagPlain): void {
    const missed = parseCount(tag.attributes.missed);
    const covered = parseCount(tag.attributes.covered);
    if (missed === null || covered === null) throw xml.error('<counter type="METHOD"> needs missed and covered counts ≥ 0');
    file.functions = { covered, total: covered + missed };
  }

  yield* xml.run(source, done);
}
