import { createReadStream } from "node:fs";
import { type Command, Option } from "commander";
import { ApiError } from "../../sdk/errors.ts";
import { errorMessage } from "../../shared/errors.ts";
import type { CreateReportRunBody, PatchDiff, ReportFile, ReportRun, ReportRunDetail } from "../../shared/reports.api.ts";
import { CI_VARIABLES, type CiContext, detectCi } from "../ci-env.ts";
import type { CliContext } from "../context.ts";
import { gitDiff, readDiffFile } from "../diff-sources.ts";
import { UsageError } from "../errors.ts";
import { evaluateGates, type GateSpec, gatesOfEnvironment, kindsNeedingComparison, renderVerdicts } from "../gates.ts";
import { examples, projectOption } from "../options.ts";
import { collectReportFiles, type ReportFileToUpload } from "../report-files.ts";
import { type RejectedFile, renderReportSummary } from "../report-summary.ts";
import { uploadProgress } from "../upload-progress.ts";

interface UploadOptions {
  project: string;
  commit?: string;
  branch?: string;
  kind: string;
  base?: string;
  diff?: string;
  ciUrl?: string;
  pathPrefix?: string;
  failOnGate?: string;
}

const SHA = /^[0-9a-fA-F]{7,64}$/;
const KIND = /^[a-z0-9][a-z0-9_-]{0,39}$/;
/** Answers that reject one file (unparseable, too large) rather than the whole upload. */
const FILE_REJECTED = new Set([400, 413, 415, 422]);

export function registerReportUpload(report: Command, ctx: CliContext): void {
  report
    .command("upload")
    .description("upload test reports (JUnit XML) and coverage (lcov, Cobertura, JaCoCo, Istanbul, Go) of one commit")
    .addOption(projectOption())
    .option("--commit <sha>", "commit the reports are of (default: from the CI environment)")
    .option("--branch <branch>", "branch of the commit (default: from the CI environment)")
    .addOption(new Option("--kind <kind>", "kind of tests: unit, integration, e2e or any lowercase word").default("unit"))
    .option("--base <sha>", "commit to compare with; without --diff, patch coverage comes from `git diff <base>...HEAD`")
    .option("--diff <file>", "unified diff (git diff --unified=0) whose added lines patch coverage judges")
    .option("--ci-url <url>", "link to the CI job (default: from the CI environment)")
    .option("--path-prefix <prefix>", "prefix to strip from source paths in coverage reports")
    .option("--fail-on-gate <env>", "exit 1 unless the commit passes the quality gates of this environment")
    .argument("<files...>", "report files or globs (*, ?, **); quote globs so the shell does not expand them")
    .addHelpText(
      "after",
      `
Files are sent gzip-compressed under their base name; when two share a base name, each gets the first 8 hex digits
of the SHA-256 of its directory as a prefix (3f2a9c1d-junit.xml). A file the server cannot parse is reported and
skipped; the others are kept, and the exit code is 1.
In CI, --commit, --branch and the job link default to GITHUB_*, CI_* (GitLab), GIT_*/BUILD_URL (Jenkins) or BUILD_*
(Azure Pipelines) variables.
${examples(
  "stagegate report upload -p shop --commit 3f2a9c1 --branch main reports/junit.xml coverage/lcov.info",
  "stagegate report upload -p shop --kind integration --base \"$(git merge-base origin/main HEAD)\" 'reports/**/*.xml'",
  "stagegate report upload -p shop --fail-on-gate live 'target/surefire-reports/*.xml' target/site/jacoco/jacoco.xml",
)}`,
    )
    .action(async (patterns: string[], options: UploadOptions) => {
      await reportUpload(ctx, patterns, options);
    });
}

async function reportUpload(ctx: CliContext, patterns: string[], options: UploadOptions): Promise<void> {
  const ci = detectCi(process.env);
  const { files, unmatched } = await collectReportFiles(patterns, process.cwd());
  for (const pattern of unmatched) ctx.note(`warning: ${pattern} matched no file`);
  if (files.length === 0) throw new UsageError(`no report file matched ${patterns.join(" ")}`);
  const body = await runBody(options, ci, (text) => ctx.note(text));
  const client = ctx.client();
  // Read the gates first: a wrong environment name should stop before anything is uploaded.
  const gates = options.failOnGate ? gatesOfEnvironment(await client.getConfig(options.project), options.failOnGate) : undefined;

  const run = await client.createReportRun(options.project, body);
  const { accepted, rejected } = await uploadFiles(ctx, run, files);
  if (accepted.length === 0) {
    ctx.note(`error: no file was accepted; run ${run.id} was left open, not completed`);
    ctx.exitCode = 1;
    return;
  }
  await client.completeReportRun(run.id);
  const detail = await client.getReportRun(run.id);
  ctx.emit(detail, (d) => renderReportSummary(d, { server: client.baseUrl, rejected }));
  if (rejected.length > 0) ctx.exitCode = 1;
  if (gates && options.failOnGate) {
    const passed = await checkGates(ctx, { project: options.project, environment: options.failOnGate, gates, detail });
    if (!passed) ctx.exitCode = 1;
  }
}

async function runBody(
  options: UploadOptions,
  ci: CiContext | undefined,
  warn: (text: string) => void,
): Promise<CreateReportRunBody> {
  const commitSha = options.commit ?? ci?.commit;
  const branch = options.branch ?? ci?.branch;
  if (!commitSha) throw new UsageError(`pass --commit <sha>; no CI variable (${CI_VARIABLES}) names the commit`);
  if (!branch) throw new UsageError(`pass --branch <branch>; no CI variable (${CI_VARIABLES}) names the branch`);
  if (!SHA.test(commitSha)) throw new UsageError(`--commit must be a hex commit SHA of 7 to 64 digits, not "${commitSha}"`);
  if (options.base !== undefined && !SHA.test(options.base)) {
    throw new UsageError(
      `--base must be a hex commit SHA, not "${options.base}"; resolve a branch with git rev-parse or git merge-base`,
    );
  }
  if (!KIND.test(options.kind))
    throw new UsageError(`--kind must be a lowercase word (a-z, 0-9, - and _), not "${options.kind}"`);
  const url = options.ciUrl ?? ci?.url;
  const ciInfo =
    ci || url
      ? { ...(ci ? { provider: ci.provider } : {}), ...(url ? { url } : {}), ...(ci?.job ? { job: ci.job } : {}) }
      : undefined;
  const diff = await patchDiff(options, warn);
  return {
    commitSha,
    branch,
    kind: options.kind,
    ...(options.base ? { baseSha: options.base } : {}),
    ...(ciInfo ? { ci: ciInfo } : {}),
    ...(diff ? { diff } : {}),
    ...(options.pathPrefix ? { pathPrefix: options.pathPrefix } : {}),
  };
}

async function patchDiff(options: UploadOptions, warn: (text: string) => void): Promise<PatchDiff | undefined> {
  if (options.diff) return readDiffFile(options.diff);
  if (!options.base) return undefined;
  try {
    return await gitDiff(options.base, process.cwd());
  } catch (error) {
    const reason = errorMessage(error);
    // Reports matter more than patch coverage: a shallow clone without the base must not lose the test results.
    warn(`warning: git diff ${options.base}...HEAD failed (${reason}); uploading without patch coverage`);
    return undefined;
  }
}

async function uploadFiles(ctx: CliContext, run: ReportRun, files: ReportFileToUpload[]) {
  const client = ctx.client();
  const total = files.reduce((sum, file) => sum + file.bytes, 0);
  const progress = uploadProgress(ctx.io.stderr, total);
  const accepted: ReportFile[] = [];
  const rejected: RejectedFile[] = [];
  let before = 0;
  try {
    for (const file of files) {
      progress.file(file.name);
      try {
        const stored = await client.uploadReportFile(run.id, file.name, createReadStream(file.path), {
          gzip: true,
          onProgress: (bytes) => progress.update(before + bytes),
        });
        accepted.push(stored);
        const what = stored.cases ? `${stored.cases} tests` : `${stored.coverageFiles} source files`;
        progress.log(`uploaded ${file.path} as ${stored.name}: ${stored.format}, ${what}`);
      } catch (error) {
        if (!(error instanceof ApiError && FILE_REJECTED.has(error.status))) throw error;
        rejected.push({ name: file.path, message: error.message });
        progress.log(`error: ${file.path} was rejected: ${error.message} (${error.code})`);
      }
      before += file.bytes;
      progress.update(before);
    }
  } finally {
    progress.stop();
  }
  return { accepted, rejected };
}

async function checkGates(
  ctx: CliContext,
  input: { project: string; environment: string; gates: GateSpec[]; detail: ReportRunDetail },
): Promise<boolean> {
  const client = ctx.client();
  const report = await client.commitReport(input.project, input.detail.commitSha);
  const comparisons = new Map<string, ReportRunDetail["comparison"]>();
  for (const kind of kindsNeedingComparison(input.gates)) {
    const newest = report.kinds.find((k) => k.kind === kind)?.runs[0];
    if (kind === input.detail.kind) comparisons.set(kind, input.detail.comparison);
    else if (newest) comparisons.set(kind, (await client.getReportRun(newest)).comparison);
  }
  const verdicts = evaluateGates(input.gates, { report, comparisons });
  const text = renderVerdicts(input.environment, verdicts);
  // With -o json, stdout holds only the run detail.
  if (ctx.json) ctx.note(text);
  else ctx.out(`\n${text}`);
  return verdicts.every((v) => v.passed);
}
