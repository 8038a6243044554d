import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseJUnit } from "./junit.parser.ts";
import { chunked, collect, FIXTURES_DIR, fixture, statusCounts } from "./parser.test-helpers.ts";
import type { CaseStatus } from "./parser.types.ts";

type Expected = { cases: number; suites: number } & Partial<Record<CaseStatus, number>>;

/**
 * What each fixture must give (MANIFEST.md counts elements; these are cases after the status rules). `passed` is
 * whatever remains. Non-obvious ones:
 * - multiresult: 3 <skipped>, 2 <failure>, 1 <error> in 4 cases; skipped + failure (+ teardown error) is one failed
 *   case, twice, so 2 failed, 1 skipped, 1 passed.
 * - gotestsum: the root says errors="1" for the package whose TestMain failed, but the file writes it as a <failure>:
 *   13 failed, none errored. Root tests="59" against 60 elements gives a warning, not an error.
 * - mocha: 8 duplicate (classname, name) pairs are distinct passing tests, kept apart: 109 cases.
 * - surefire rerun-always-fail: 1 <failure> + 3 <rerunFailure> is one failed case (reruns 3), not 4 cases.
 * - surefire flaky: only a <flakyFailure> is one flaky case.
 * - pytest xfail: `pytest.xfail` is reported as <skipped>, so 2 skipped.
 * - nested: 4 <testsuite> elements at 3 levels, 5 cases at several levels.
 * - bazel: an empty <error message=…> makes the one case errored.
 */
const EXPECTED: Record<string, Expected> = {
  "junit-bazel-cdata-system-out.xml": { cases: 1, suites: 1, errored: 1 },
  "junit-go-junit-report-subtests.xml": { cases: 11, suites: 1, failed: 4, skipped: 1 },
  "junit-gotestsum.xml": { cases: 60, suites: 5, failed: 13, skipped: 5 },
  "junit-jest-junit.xml": { cases: 6, suites: 2, failed: 4, skipped: 1 },
  "junit-mocha-latex-utensils.xml": { cases: 109, suites: 1 },
  "junit-multiresult-teardown-error.xml": { cases: 4, suites: 1, failed: 2, skipped: 1 },
  "junit-nested-testsuites.xml": { cases: 5, suites: 4 },
  "junit-pytest-horovod-fail.xml": { cases: 5, suites: 1, failed: 1, skipped: 1 },
  "junit-pytest-xfail-skip.xml": { cases: 10, suites: 1, failed: 2, skipped: 2 },
  "junit-surefire-email-test.xml": { cases: 9, suites: 1, failed: 2, errored: 5 },
  "junit-surefire-flaky-failure.xml": { cases: 1, suites: 1, flaky: 1 },
  "junit-surefire-rerun-always-fail.xml": { cases: 1, suites: 1, failed: 1 },
  "junit-unicode-astral.xml": { cases: 7, suites: 1, failed: 2, errored: 2, skipped: 2 },
  "junit-vitest-failures.xml": { cases: 222, suites: 30, failed: 15 },
  "junit-xml-entities.xml": { cases: 4, suites: 1, failed: 1, errored: 1, skipped: 2 },
  "junit-xunit-net-bom.xml": { cases: 2, suites: 1 },
};

async function parseFixture(name: string) {
  return collect(parseJUnit(chunked(fixture(name), 64 * 1024)));
}

function byName<T extends { name: string }>(cases: T[], name: string): T {
  const found = cases.find((c) => c.name === name);
  if (!found) throw new Error(`no case named ${name}`);
  return found;
}

describe("parseJUnit on the shared fixtures", () => {
  it("has an expectation for every junit fixture", () => {
    const files = readdirSync(FIXTURES_DIR).filter((f) => f.startsWith("junit-") && f.endsWith(".xml"));
    expect(files.sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const [file, expected] of Object.entries(EXPECTED)) {
    it(`reads ${file} as ${expected.cases} cases with the expected outcomes`, async () => {
      const { cases, summary } = await parseFixture(file);
      const { failed = 0, errored = 0, skipped = 0, flaky = 0 } = expected;
      expect(cases).toHaveLength(expected.cases);
      expect(summary.cases).toBe(expected.cases);
      expect(summary.suites).toBe(expected.suites);
      const passed = expected.cases - failed - errored - skipped - flaky;
      expect(statusCounts(cases)).toEqual({ passed, failed, errored, skipped, flaky });
    });
  }

  it("reads a Surefire flaky test as flaky with its rerun and the flaky run's message and stack", async () => {
    const { cases } = await parseFixture("junit-surefire-flaky-failure.xml");
    expect(cases[0]).toMatchObject({ name: "createWebhook", status: "flaky", reruns: 1, durationMs: 683, systemErr: null });
    expect(cases[0]?.message).toBe("Expected: <false>\n     but: was <true>");
    expect(cases[0]?.stack).toMatch(/^java\.lang\.AssertionError: \n\nExpected: <false>/);
  });

  it("reads a Surefire test that failed on every rerun as failed with 3 reruns and only its own output", async () => {
    const { cases, summary } = await parseFixture("junit-surefire-rerun-always-fail.xml");
    expect(cases[0]).toMatchObject({
      name: "testApp",
      classname: "io.olamy.AlwaysFailTest",
      status: "failed",
      reruns: 3,
      message: "built to fail",
    });
    expect(cases[0]?.stack).toMatch(/^junit\.framework\.AssertionFailedError: built to fail\n\tat /);
    // The rerunFailure elements carry their own system-out/err: the case keeps the first run's.
    expect(cases[0]).toMatchObject({ systemOut: "this will fail for real", systemErr: "this will really fail" });
    // Surefire counts every run in tests="4": that is not worth a warning.
    expect(summary.warnings).toEqual([]);
  });

  it("reads a case with skipped, failure and a teardown error as one failed case", async () => {
    const { cases } = await parseFixture("junit-multiresult-teardown-error.xml");
    expect(cases.map((c) => [c.name, c.status])).toEqual([
      ["test that errors", "failed"],
      ["test that fails", "failed"],
      ["test that is skipped", "skipped"],
      ["test that succeeds", "passed"],
    ]);
    expect(cases[0]).toMatchObject({
      message: "test failure",
      stack: "Assertion failed",
      durationMs: 123,
      suite: ["test suite"],
    });
  });

  it("reads a UTF-8 BOM file with CRLF lines and warns about the declared total", async () => {
    const { cases, summary } = await parseFixture("junit-xunit-net-bom.xml");
    expect(cases.map((c) => c.name)).toEqual([
      "mytestapp.Tests.AttriubteTests.SetTestNoFeature",
      "mytestapp.Tests.AttriubteTests.GetTestNoFeature",
    ]);
    expect(cases[0]).toMatchObject({ classname: null, durationMs: 454.035, suite: ["Rhino Collection"] });
    expect(summary.declared).toEqual({ tests: 173, failures: 0 });
    expect(summary.warnings).toEqual(['the root element declares tests="173" but the file has 2 <testcase> elements']);
  });

  it("decodes the predefined entities in names, messages and bodies", async () => {
    const { cases } = await parseFixture("junit-xml-entities.xml");
    expect(cases.map((c) => c.name)).toEqual([
      'Test with "quotes" in the test name',
      "Test with 'apostrophe' in the test name",
      "Test with & in the test name",
      "Test with < and > in the test name",
    ]);
    expect(cases[1]).toMatchObject({
      status: "failed",
      message: "A message with 'apostrophes'",
      stack: "Content with 'apostrophes'",
    });
    expect(cases[3]).toMatchObject({ status: "skipped", message: "A message with < and >", stack: null });
    // An unnamed <testsuite> adds nothing to the suite path.
    expect(cases[0]?.suite).toEqual([]);
  });

  it("keeps astral-plane characters intact", async () => {
    const { cases } = await parseFixture("junit-unicode-astral.xml");
    expect(cases[0]).toMatchObject({
      name: "test 1 헴䜝헱홐㣇㿷䔭𒍺𡓿𠄉㦓",
      file: "test/test-1.py",
      classname: null,
      durationMs: 1230,
    });
    expect(byName(cases, "test 4").message).toBe("Some unsupported unicode characters: 헴䜝헱홐㣇㿷䔭𒍺𡓿𠄉㦓");
    expect(byName(cases, "test 7")).toMatchObject({
      status: "errored",
      message: "message",
      stack: "Some unsupported unicode characters: 헴䜝헱홐㣇㿷䔭𒍺𡓿𠄉㦓",
    });
  });

  it("reads non-ASCII and emoji messages with &apos; from Surefire", async () => {
    const { cases } = await parseFixture("junit-surefire-email-test.xml");
    expect(byName(cases, "shouldNotContainInternationalizedHostNames").message).toBe("Invalid email address 'user@ñandú.com.ar'");
    expect(byName(cases, "shouldBeStricterThanRfc2821").message).toBe("Invalid email address 😋 'Abc\\@def@example.com'");
  });

  it("takes a jest-junit failure's message from the first line of its body", async () => {
    const { cases } = await parseFixture("junit-jest-junit.xml");
    const failing = byName(cases, "Failing test");
    expect(failing).toMatchObject({
      classname: "Test 1 › Test 1.1",
      message: "Error: expect(received).toBeTruthy()",
      suite: ["__tests__\\main.test.js"],
    });
    expect(failing.stack).toMatch(/^Error: expect\(received\)\.toBeTruthy\(\)\n\nReceived: false\n {4}at Object\.<anonymous>/);
  });

  it("keeps the case-level CDATA system-out of go-junit-report and ignores the suite-level one", async () => {
    const { cases } = await parseFixture("junit-go-junit-report-subtests.xml");
    expect(byName(cases, "TestSubtests/Subtest").systemOut).toBe("    subtests_test.go:7: ok");
    expect(byName(cases, "TestSubtests/Subtest#01")).toMatchObject({
      status: "failed",
      message: "Failed",
      stack: "    subtests_test.go:10: error message",
    });
    expect(cases.some((c) => c.systemOut === "exit status 1")).toBe(false);
  });

  it("reads Bazel's duration and ignores the suite's mixed text and CDATA output", async () => {
    const { cases } = await parseFixture("junit-bazel-cdata-system-out.xml");
    expect(cases[0]).toMatchObject({
      status: "errored",
      message: "exited with error code 1",
      stack: null,
      durationMs: 0,
      systemOut: null,
    });
  });

  it("puts cases of nested suites under their full suite path", async () => {
    const { cases } = await parseFixture("junit-nested-testsuites.xml");
    expect(cases.map((c) => [c.name, c.suite.join(" / ")])).toEqual([
      ["TestCase1", "Project Test Suite / TestSuite1"],
      ["TestCase2", "Project Test Suite / TestSuite1"],
      ["TestCase3", "Project Test Suite / TestSuite2 / TestSuite2.1"],
      ["TestCase4", "Project Test Suite / TestSuite2"],
      ["TestCase5", "Project Test Suite"],
    ]);
    expect(cases[0]).toMatchObject({ file: "/somepath", classname: "someName", durationMs: 1321.59 });
  });

  it("keeps mocha's same-named passing tests as separate cases", async () => {
    const { cases } = await parseFixture("junit-mocha-latex-utensils.xml");
    const named = cases.filter(
      (c) => c.classname === "latexParser matchers latexParser findNodeAt" && c.name === "test latexParser.findNodeAt",
    );
    expect(named).toHaveLength(3);
    expect(named.every((c) => c.status === "passed" && c.reruns === 0)).toBe(true);
  });

  it("reads vitest's nine-digit times and keeps its case-level system-out", async () => {
    const { cases } = await parseFixture("junit-vitest-failures.xml");
    expect(cases.filter((c) => c.systemOut !== null)).toHaveLength(7);
    expect(cases.every((c) => c.durationMs !== null && Number.isFinite(c.durationMs))).toBe(true);
  });

  it("reads gotestsum's empty classname as null and its TestMain failure", async () => {
    const { cases, summary } = await parseFixture("junit-gotestsum.xml");
    expect(cases[0]).toMatchObject({ name: "TestMain", classname: null, status: "failed", message: "Failed" });
    expect(cases[0]?.stack).toBe("sometimes main can exit 2\nFAIL\tgotest.tools/gotestsum/testjson/internal/badmain\t0.001s");
    expect(summary.declared).toEqual({ tests: 59, failures: 13, errors: 1 });
  });
});
