import { CappedText, capText } from "./capped-text.ts";
import type { CaseStatus, ParsedTestCase } from "./parser.types.ts";

/**
 * Result elements a <testcase> can hold. `failure`/`error`/`skipped` are the JUnit schema; the flaky* and rerun*
 * ones are Maven Surefire's rerunFailingTestsCount output
 * (https://maven.apache.org/surefire/maven-surefire-plugin/examples/rerun-failing-tests.html):
 * flaky* = runs that failed before a passing one, rerun* = further failing runs after a final <failure>/<error>.
 */
const RESULT_KINDS = {
  failure: "failure",
  error: "error",
  skipped: "skipped",
  flakyFailure: "flaky",
  flakyError: "flaky",
  rerunFailure: "rerunFailure",
  rerunError: "rerunError",
} as const;

type ResultKind = (typeof RESULT_KINDS)[keyof typeof RESULT_KINDS];

export function resultKind(element: string): ResultKind | undefined {
  return Object.hasOwn(RESULT_KINDS, element) ? RESULT_KINDS[element as keyof typeof RESULT_KINDS] : undefined;
}

/** Which result supplies the message and stack: failures and errors share one slot, first in document order wins. */
type Slot = "problem" | "flaky" | "skipped";

function slotOf(kind: ResultKind): Slot {
  if (kind === "flaky") return "flaky";
  if (kind === "skipped") return "skipped";
  return "problem";
}

const SLOT_OF_STATUS: Record<CaseStatus, Slot | undefined> = {
  failed: "problem",
  errored: "problem",
  flaky: "flaky",
  skipped: "skipped",
  passed: undefined,
};

interface FirstResult {
  message: string | null;
  type: string | null;
  body: CappedText;
}

/** Seconds as JUnit writes them ("0.683", "1.0E-4", "7.604562416", "1,234.5") → milliseconds, microsecond precision. */
const PLAIN_SECONDS = /^\d{1,15}(\.\d{1,15})?$/;

export function parseSeconds(value: string | undefined): number | null {
  if (value === undefined) return null;
  // The common case, a plain decimal such as "0.012": Number() accepts it as is (the regexes below are for the rest).
  if (PLAIN_SECONDS.test(value)) return Math.round(Number(value) * 1e6) / 1e3;
  let text = value.trim();
  if (/^\d+,\d+$/.test(text)) text = text.replace(",", ".");
  else text = text.replaceAll(",", "");
  if (!/^[+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) return null;
  const seconds = Number(text);
  return Number.isFinite(seconds) ? Math.round(seconds * 1e6) / 1e3 : null;
}

function nonEmpty(value: string | undefined): string | null {
  return value === undefined || value.trim() === "" ? null : value;
}

/** Bazel and some others mark a test that did not run with a status attribute instead of a <skipped> element. */
const NOT_RUN = new Set(["notrun", "skipped", "disabled", "ignored"]);

/** Collects one <testcase> while its events stream by; `finish()` turns it into the record. */
export class CaseBuilder {
  /** Made on the first result element: most cases passed and have none (one object less per case to collect). */
  private counts: Record<ResultKind, number> | undefined;
  private readonly first: Partial<Record<Slot, FirstResult>> = {};
  /** Made when the case has one (a few percent of cases do). */
  private systemOut: CappedText | undefined;
  private systemErr: CappedText | undefined;

  constructor(
    private readonly attributes: Record<string, string>,
    private readonly options: { suite: string[]; cap: number },
  ) {}

  /** Where the case's system-out or system-err text goes. */
  output(element: "system-out" | "system-err"): CappedText {
    if (element === "system-out") {
      this.systemOut ??= new CappedText(this.options.cap);
      return this.systemOut;
    }
    this.systemErr ??= new CappedText(this.options.cap);
    return this.systemErr;
  }

  /** Records a result element; returns where its body text goes, or undefined when it is not the first of its slot. */
  addResult(kind: ResultKind, attributes: Record<string, string>): CappedText | undefined {
    this.counts ??= { failure: 0, error: 0, skipped: 0, flaky: 0, rerunFailure: 0, rerunError: 0 };
    this.counts[kind] += 1;
    const slot = slotOf(kind);
    if (this.first[slot]) return undefined;
    const result = {
      message: nonEmpty(attributes.message),
      type: nonEmpty(attributes.type),
      body: new CappedText(this.options.cap),
    };
    this.first[slot] = result;
    return result.body;
  }

  private status(): CaseStatus {
    if (!this.counts) return this.notRun() ? "skipped" : "passed";
    const { failure, error, skipped, flaky, rerunFailure, rerunError } = this.counts;
    if (failure + rerunFailure > 0) return "failed";
    if (error + rerunError > 0) return "errored";
    if (flaky > 0) return "flaky";
    if (skipped > 0) return "skipped";
    return this.notRun() ? "skipped" : "passed";
  }

  private notRun(): boolean {
    const status = this.attributes.status;
    return status !== undefined && NOT_RUN.has(status.toLowerCase());
  }

  finish(): ParsedTestCase {
    const status = this.status();
    const slot = SLOT_OF_STATUS[status];
    const result = slot ? this.first[slot] : undefined;
    const body = result?.body.value() ?? null;
    // No message attribute (jest-junit writes only a body): the body's first line says what went wrong.
    const firstLine = body?.split("\n", 1)[0]?.trim() || null;
    const message = result?.message ?? firstLine ?? result?.type ?? null;
    const { cap } = this.options;
    return {
      suite: this.options.suite,
      classname: nonEmpty(this.attributes.classname),
      name: this.attributes.name ?? "",
      file: nonEmpty(this.attributes.file),
      durationMs: parseSeconds(this.attributes.time) ?? parseSeconds(this.attributes.duration),
      status,
      message: message === null ? null : capText(message, cap),
      stack: slot === "skipped" ? null : body,
      systemOut: this.systemOut?.value() ?? null,
      systemErr: this.systemErr?.value() ?? null,
      reruns: this.counts ? this.counts.flaky + this.counts.rerunFailure + this.counts.rerunError : 0,
    };
  }
}

/**
 * Folds a later run of the same test into the first (gotestsum --rerun-fails writes each run as its own <testcase>):
 * failed then passed → flaky; failed again → still failed. Durations add up; the first run's texts are kept.
 */
export function mergeRerun(first: ParsedTestCase, later: ParsedTestCase): ParsedTestCase {
  const passedLater = later.status === "passed" || later.status === "flaky";
  return {
    ...first,
    status: passedLater ? "flaky" : first.status,
    durationMs: first.durationMs === null && later.durationMs === null ? null : (first.durationMs ?? 0) + (later.durationMs ?? 0),
    systemOut: first.systemOut ?? later.systemOut,
    systemErr: first.systemErr ?? later.systemErr,
    reruns: first.reruns + 1 + later.reruns,
  };
}
