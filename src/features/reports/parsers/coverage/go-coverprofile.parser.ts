import { type Chunks, type FileCoverage, ReportParseError } from "../parser.types.ts";
import { COVERAGE_DEFAULTS, type CoverageParseOptions } from "./coverage.types.ts";
import { newFileCoverage, parseCount, recordLine } from "./file-coverage.ts";
import { readLines } from "./text.ts";

/** `name.go:line.column,line.column numberOfStatements count` (golang.org/x/tools/cover, ParseProfiles). */
const BLOCK = /^(.+):(\d+)\.(\d+),(\d+)\.(\d+) (\d+) (\d+)$/;
const MODE = /^mode: (set|count|atomic)$/;

/**
 * Go coverprofiles (`go test -coverprofile`). Paths are import paths (`github.com/spf13/cobra/command.go`, `m/p/p.go`)
 * and are yielded as given.
 *
 * Go counts blocks, not lines. Every line from a block's start to its end takes the block's count, and a line covered
 * by several blocks takes the largest count: blocks that share a boundary line (`if x {` ends one block and starts the
 * next) make the line covered when either ran, and a block listed twice (merged profiles repeat blocks, 0 then 1)
 * counts once, at its larger count. Blocks without statements are skipped: there is nothing on them to cover.
 * A file's blocks are yielded when the next file starts; a file that comes back later is yielded again.
 */
export async function* parseGoCoverprofile(source: Chunks, options: CoverageParseOptions = {}): AsyncGenerator<FileCoverage[]> {
  const maxLineLength = options.maxLineLength ?? COVERAGE_DEFAULTS.maxLineLength;
  let lineNumber = 0;
  let sawMode = false;
  let current: FileCoverage | null = null;
  for await (const lines of readLines(source, { format: "go-coverprofile", maxLineLength })) {
    const done: FileCoverage[] = [];
    for (const text of lines) {
      lineNumber++;
      const line = text.trim();
      if (line === "") continue;
      if (line.startsWith("mode:")) {
        if (!MODE.test(line)) throw fail(lineNumber, `"${line}" is not a coverprofile mode: expected mode: set, count or atomic`);
        sawMode = true; // concatenated profiles repeat the mode line
        continue;
      }
      if (!sawMode) throw fail(lineNumber, "a Go coverprofile starts with a mode: set|count|atomic line");
      const block = readBlock(line, lineNumber);
      if (current?.path !== block.path) {
        if (current !== null) done.push(current);
        current = newFileCoverage(block.path);
      }
      if (block.statements === 0) continue;
      for (let n = block.start; n <= block.end; n++) recordLine(current, n, block.count);
    }
    if (done.length > 0) yield done;
  }
  if (!sawMode)
    throw fail(Math.max(lineNumber, 1), "the file is empty: a Go coverprofile starts with a mode: set|count|atomic line");
  if (current !== null) yield [current];
}

function readBlock(
  line: string,
  lineNumber: number,
): { path: string; start: number; end: number; statements: number; count: number } {
  const match = BLOCK.exec(line);
  const [, path, start, , end, , statements, count] = match ?? [];
  const startLine = parseCount(start);
  const endLine = parseCount(end);
  const statementCount = parseCount(statements);
  const hits = parseCount(count);
  if (path === undefined || startLine === null || endLine === null || statementCount === null || hits === null) {
    throw fail(lineNumber, `"${line.slice(0, 80)}" is not a coverprofile block (file:line.col,line.col statements count)`);
  }
  if (startLine < 1) throw fail(lineNumber, `the block of ${path} starts at line ${startLine}; lines start at 1`);
  if (endLine < startLine)
    throw fail(lineNumber, `the block of ${path} ends (line ${endLine}) before it starts (line ${startLine})`);
  if (endLine - startLine >= COVERAGE_DEFAULTS.maxBlockLines) {
    throw fail(
      lineNumber,
      `the block of ${path} spans ${endLine - startLine + 1} lines, more than ${COVERAGE_DEFAULTS.maxBlockLines}`,
    );
  }
  return { path, start: startLine, end: endLine, statements: statementCount, count: hits };
}

function fail(line: number, message: string): ReportParseError {
  return new ReportParseError({ format: "go-coverprofile", line, message: `Go coverprofile line ${line}: ${message}` });
}
