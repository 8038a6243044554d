import type { CappedText } from "./capped-text.ts";
import { CaseBuilder, mergeRerun, resultKind } from "./junit.case.ts";
import {
  type Chunks,
  DEFAULT_LIMITS,
  type JUnitFileSummary,
  type ParsedTestCase,
  type ParserLimits,
  ReportParseError,
} from "./parser.types.ts";
import { pushChunks, XmlPush, type XmlSink } from "./xml.stream.ts";

const MAX_WARNINGS = 50;

interface HeldCase {
  value: ParsedTestCase;
  /** Still open to reruns: a failed run waiting to see whether a later run of the same test passes. */
  open: boolean;
}

interface SuiteFrame {
  depth: number;
  path: string[];
  /** go-junit-report and gotestsum put a go.version property on every package suite. */
  go: boolean;
  held: Map<string, HeldCase>;
  order: HeldCase[];
}

interface OpenCase {
  builder: CaseBuilder;
  depth: number;
  frame: SuiteFrame;
  /** Body sink of the Surefire flakyFailure/rerunFailure (or …Error) element being read: its text sits in a <stackTrace> child. */
  rerunBody: CappedText | undefined;
}

function count(value: string | undefined): number | undefined {
  return value !== undefined && /^\s*\d+\s*$/.test(value) ? Number(value) : undefined;
}

function declaredTotals(attributes: Record<string, string>): JUnitFileSummary["declared"] {
  const declared: JUnitFileSummary["declared"] = {};
  for (const key of ["tests", "failures", "errors", "skipped"] as const) {
    const value = count(attributes[key]);
    if (value !== undefined) declared[key] = value;
  }
  return declared;
}

/** Turns XML events into test cases; one instance per file. */
class JUnitReader implements XmlSink {
  /** Set right after construction: text is wanted only while a body is being read, and errors need the position. */
  push: XmlPush | undefined;
  private readonly frames: SuiteFrame[] = [{ depth: 0, path: [], go: false, held: new Map(), order: [] }];
  private current: OpenCase | undefined;
  private target: { sink: CappedText; depth: number } | undefined;
  private batch: ParsedTestCase[] = [];
  private rootSeen = false;
  private suites = 0;
  private cases = 0;
  private elements = 0;
  private declared: JUnitFileSummary["declared"] = {};
  private readonly warnings: string[] = [];
  private unnamed = 0;
  private rerunRuns = 0;

  constructor(private readonly limits: ParserLimits) {}

  warn(message: string): void {
    if (this.warnings.length < MAX_WARNINGS) this.warnings.push(message);
  }

  text(text: string, depth: number): void {
    if (this.target && depth === this.target.depth) this.target.sink.append(text);
  }

  /** Where text goes from now on; saxes skips text altogether while there is nowhere for it to go. */
  private setTarget(target: { sink: CappedText; depth: number } | undefined): void {
    this.target = target;
    this.push?.wantText(target !== undefined);
  }

  takeBatch(): ParsedTestCase[] {
    const batch = this.batch;
    this.batch = [];
    return batch;
  }

  private get frame(): SuiteFrame {
    const frame = this.frames.at(-1);
    if (!frame) throw new Error("JUnitReader: the root frame is never popped");
    return frame;
  }

  open(name: string, attributes: Record<string, string>, depth: number): void {
    if (!this.rootSeen) {
      if (name !== "testsuites" && name !== "testsuite") {
        throw new ReportParseError({
          format: "junit",
          message: `not a JUnit report: root element <${name}>`,
          line: this.push?.line ?? null,
          column: this.push?.column ?? null,
        });
      }
      this.rootSeen = true;
      this.declared = declaredTotals(attributes);
    }
    if (this.current) {
      this.openInCase(this.current, name, attributes, depth);
      return;
    }
    if (name === "testsuite") {
      this.suites += 1;
      const suiteName = attributes.name?.trim();
      this.frames.push({
        depth,
        path: suiteName ? [...this.frame.path, suiteName] : this.frame.path,
        go: false,
        held: new Map(),
        order: [],
      });
    } else if (name === "testcase") {
      this.elements += 1;
      if (attributes.name === undefined) this.unnamed += 1;
      const builder = new CaseBuilder(attributes, { suite: this.frame.path, cap: this.limits.maxTextPerField });
      this.current = { builder, depth, frame: this.frame, rerunBody: undefined };
    } else if (name === "property" && attributes.name === "go.version") {
      this.frame.go = true;
    }
  }

  /** Inside a <testcase>: results and case-level system-out/err; <properties> and anything unknown are passed over. */
  private openInCase(current: OpenCase, name: string, attributes: Record<string, string>, depth: number): void {
    const relative = depth - current.depth;
    if (relative === 2 && name === "stackTrace" && current.rerunBody) {
      this.setTarget({ sink: current.rerunBody, depth });
      return;
    }
    if (relative !== 1) return;
    if (name === "system-out" || name === "system-err") {
      this.setTarget({ sink: current.builder.output(name), depth });
      return;
    }
    const kind = resultKind(name);
    if (!kind) return;
    const body = current.builder.addResult(kind, attributes);
    if (kind === "failure" || kind === "error" || kind === "skipped") {
      if (body) this.setTarget({ sink: body, depth });
    } else {
      current.rerunBody = body;
    }
  }

  close(_name: string, depth: number): void {
    if (this.target && depth === this.target.depth) this.setTarget(undefined);
    const current = this.current;
    if (current) {
      if (depth === current.depth + 1) current.rerunBody = undefined;
      if (depth !== current.depth) return;
      this.current = undefined;
      const testCase = current.builder.finish();
      this.rerunRuns += testCase.reruns;
      this.finishCase(testCase, current.frame);
      return;
    }
    const frame = this.frame;
    if (frame.depth === depth && this.frames.length > 1) {
      this.flush(frame);
      this.frames.pop();
    }
  }

  /**
   * Duplicate (suite, classname, name) cases are merged only in Go suites, and only onto an earlier failed run:
   * `gotestsum --rerun-fails` writes every run of a failed test as its own <testcase> in the package's suite
   * (failures first, passes after), so "failed, then the same test again" there means a rerun. Elsewhere duplicates
   * are distinct tests: mocha-junit-reporter repeats names for tests in same-named describe blocks (8 such pairs in
   * the latex-utensils fixture), and parameterised tests can share a title. Merging those could turn a real failure
   * into "flaky", which is worse than showing a rerun twice. Failed Go cases are held until their suite closes.
   */
  private finishCase(testCase: ParsedTestCase, frame: SuiteFrame): void {
    if (!frame.go) {
      this.emit(testCase);
      return;
    }
    const key = `${testCase.classname ?? ""}\u0000${testCase.name}`;
    const held = frame.held.get(key);
    if (held?.open) {
      held.value = mergeRerun(held.value, testCase);
      held.open = held.value.status !== "flaky";
      return;
    }
    if (testCase.status === "failed" || testCase.status === "errored") {
      const entry = { value: testCase, open: true };
      frame.held.set(key, entry);
      frame.order.push(entry);
      return;
    }
    this.emit(testCase);
  }

  private flush(frame: SuiteFrame): void {
    for (const entry of frame.order) this.emit(entry.value);
    frame.order = [];
    frame.held.clear();
  }

  private emit(testCase: ParsedTestCase): void {
    this.batch.push(testCase);
    this.cases += 1;
  }

  end(): JUnitFileSummary {
    for (const frame of this.frames) this.flush(frame);
    if (this.unnamed > 0) this.warn(`${this.unnamed} <testcase> elements have no name attribute`);
    const { tests } = this.declared;
    // Surefire counts every rerun in tests="…": either reading of the total is fine.
    if (tests !== undefined && tests !== this.elements && tests !== this.elements + this.rerunRuns) {
      this.warn(`the root element declares tests="${tests}" but the file has ${this.elements} <testcase> elements`);
    }
    return { suites: this.suites, cases: this.cases, declared: this.declared, warnings: this.warnings };
  }
}

/**
 * Streams a JUnit XML report (Surefire/Failsafe, pytest, jest-junit, vitest, mocha, go-junit-report, gotestsum, Bazel,
 * xUnit.net transforms, PHPUnit nested suites) into test cases: after each input chunk, the cases completed so far.
 * Returns the file summary. Only the case being read (texts capped by `limits.maxTextPerField`) and, in Go suites,
 * failed cases awaiting a possible rerun are held in memory.
 */
export async function* parseJUnit(
  source: Chunks,
  limits?: Partial<ParserLimits>,
): AsyncGenerator<ParsedTestCase[], JUnitFileSummary> {
  const resolved: ParserLimits = { ...DEFAULT_LIMITS, ...limits };
  const reader = new JUnitReader(resolved);
  const push = new XmlPush(
    { format: "junit", maxDepth: resolved.maxDepth, onWarning: (message) => reader.warn(message) },
    reader,
  );
  reader.push = push;
  push.wantText(false);
  for await (const _ of pushChunks(source, push, "junit")) {
    const cases = reader.takeBatch();
    if (cases.length > 0) yield cases;
  }
  const summary = reader.end();
  const rest = reader.takeBatch();
  if (rest.length > 0) yield rest;
  return summary;
}
