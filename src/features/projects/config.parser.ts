import { type Static, Type } from "typebox";
import { Value } from "typebox/value";
import { isMap, LineCounter, type Node, parseDocument } from "yaml";
import { EnvironmentName, Slug } from "../../shared/api.ts";
import { parseDuration } from "../../shared/duration.ts";
import { DomainError } from "../../shared/errors.ts";
import {
  type ApprovalPolicy,
  type ApprovalPolicyInput,
  ApprovalPolicySchema,
  DEFAULT_EXPIRY_MS,
} from "../approvals/approvals.types.ts";
import { checkFreezeWindows } from "../approvals/freeze.ts";
import { CommitStatusConfigSchema } from "../commit-status/commit-status.types.ts";
import { FlagsConfigSchema, flagsConfigIssues } from "../flags/flags-config.types.ts";
import { GateSpecSchema } from "../gates/gates.types.ts";
import { duplicateChannelNames, NotificationChannelsSchema } from "../notifications/notifications.types.ts";
import { AlertRulesSchema } from "../runs/alerts.types.ts";
import { RunsConfigSchema } from "../runs/retention.types.ts";
import type { ExecutorConfigValidator, ProjectConfig, StepSpec } from "./projects.types.ts";

const Duration = Type.Union([Type.String({ minLength: 1 }), Type.Number({ minimum: 0 })]);
const StepSchema = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    type: Type.String({ minLength: 1 }),
    config: Type.Optional(Type.Unknown()),
    retries: Type.Optional(Type.Integer({ minimum: 0, maximum: 20 })),
    continueOnError: Type.Optional(Type.Boolean()),
    /** A verification step (smoke test, integration tests): its failure fails the deployment as "verification failed". */
    verify: Type.Optional(Type.Boolean()),
    /** Test reports the step writes, attached to the release's commit as a report run of `kind` (e.g. integration). */
    reports: Type.Optional(
      Type.Object(
        {
          kind: Type.String({ pattern: "^[a-z0-9][a-z0-9_-]{0,39}$" }),
          paths: Type.Array(Type.String({ minLength: 1, maxLength: 500 }), { minItems: 1, maxItems: 20 }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
const EnvironmentSchema = Type.Object(
  {
    name: EnvironmentName,
    requires: Type.Optional(Type.Union([EnvironmentName, Type.Null()])),
    autoDeploy: Type.Optional(Type.Object({ branch: Type.String({ minLength: 1 }) }, { additionalProperties: false })),
    executor: Type.Optional(
      Type.Object(
        { type: Type.String({ minLength: 1 }), config: Type.Optional(Type.Unknown()) },
        { additionalProperties: false },
      ),
    ),
    steps: Type.Optional(Type.Array(StepSchema, { minItems: 1, maxItems: 20 })),
    retries: Type.Optional(Type.Integer({ minimum: 0, maximum: 20 })),
    gates: Type.Optional(Type.Array(GateSpecSchema, { maxItems: 20 })),
    approval: Type.Optional(ApprovalPolicySchema),
    backoff: Type.Optional(Duration),
    /** A failed deploy here queues a redeploy of the last good release. */
    rollbackOnFailure: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export const StagegateYamlSchema = Type.Object(
  {
    project: Type.Optional(Slug),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    repo: Type.Optional(Type.String({ maxLength: 2000 })),
    environments: Type.Array(EnvironmentSchema, { minItems: 1, maxItems: 50 }),
    commitStatus: Type.Optional(CommitStatusConfigSchema),
    notifications: Type.Optional(NotificationChannelsSchema),
    alerts: Type.Optional(AlertRulesSchema),
    runs: Type.Optional(RunsConfigSchema),
    flags: Type.Optional(FlagsConfigSchema),
  },
  { additionalProperties: false },
);
type StagegateYaml = Static<typeof StagegateYamlSchema>;

/** Keys later features add; named here so the error says "not yet" instead of "unknown". */
const NOT_YET: Record<string, string> = {};

interface Issue {
  path: string;
  message: string;
  line?: number;
}

function configError(issues: Issue[]): DomainError {
  const [first] = issues;
  const where = (issue: Issue) => (issue.line ? `line ${issue.line}: ` : "");
  const message = first
    ? `stagegate.yaml ${where(first)}${first.path ? `${first.path} ` : ""}${first.message}`
    : "stagegate.yaml is invalid";
  return new DomainError("invalid_config", message, { details: { errors: issues } });
}

/** `/environments/1/executor/type` → `environments[1].executor.type` */
function dottedPath(pointer: string): string {
  return pointer
    .split("/")
    .filter(Boolean)
    .map((part, index) => (/^\d+$/.test(part) ? `[${part}]` : index === 0 ? part : `.${part}`))
    .join("");
}

function unknownKeyMessage(key: string): string {
  const feature = NOT_YET[key];
  return feature ? `is not supported yet (${feature} arrive in a later version); remove it for now` : "is not a known key";
}

/** Parses and validates stagegate.yaml (YAML or JSON) into the normalised project config; errors name the line and field. */
export function parseProjectConfig(text: string, validateExecutor: ExecutorConfigValidator): ProjectConfig {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  const lineOf = (path: (string | number)[]): number | undefined => {
    const node = document.getIn(path, true) as Node | undefined;
    const offset = node?.range?.[0];
    return offset === undefined ? undefined : lineCounter.linePos(offset).line;
  };
  if (document.errors.length > 0) {
    throw configError(
      document.errors.map((error) => ({
        path: "",
        message: error.message.split("\n")[0] ?? error.message,
        line: error.linePos?.[0].line,
      })),
    );
  }
  if (!isMap(document.contents))
    throw configError([{ path: "", message: "must be a mapping with an `environments:` list", line: 1 }]);
  const raw: unknown = document.toJS({ maxAliasCount: 50 });
  const errors = Value.Errors(StagegateYamlSchema, raw).filter((error) => error.keyword !== "boolean");
  if (errors.length > 0) {
    const issues = errors.slice(0, 20).map((error): Issue => {
      const params = error.params as { requiredProperties?: string[]; additionalProperties?: string[] };
      const segments = error.instancePath
        .split("/")
        .filter(Boolean)
        .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
      const extra = params.additionalProperties?.[0];
      const missing = params.requiredProperties?.[0];
      const base = dottedPath(error.instancePath);
      if (extra)
        return {
          path: `${base ? `${base}.` : ""}${extra}`,
          message: unknownKeyMessage(extra),
          line: lineOf([...segments, extra]) ?? lineOf(segments),
        };
      if (missing) return { path: `${base ? `${base}.` : ""}${missing}`, message: "is required", line: lineOf(segments) };
      return { path: base, message: error.message, line: lineOf(segments) };
    });
    throw configError(issues);
  }
  return normalise(raw as StagegateYaml, validateExecutor, lineOf);
}

function normalise(
  file: StagegateYaml,
  validateExecutor: ExecutorConfigValidator,
  lineOf: (path: (string | number)[]) => number | undefined,
): ProjectConfig {
  const issues: Issue[] = (file.notifications ? duplicateChannelNames(file.notifications) : []).map((d) => ({
    path: `notifications[${d.index}].name`,
    message: d.message,
    line: lineOf(["notifications", d.index, "name"]),
  }));
  const seen = new Set<string>();
  const environments = file.environments.map((env, index) => {
    const at = `environments[${index}]`;
    if (seen.has(env.name))
      issues.push({
        path: `${at}.name`,
        message: `duplicates environment "${env.name}"`,
        line: lineOf(["environments", index, "name"]),
      });
    const requires = env.requires === undefined ? (file.environments[index - 1]?.name ?? null) : env.requires;
    if (requires !== null && !seen.has(requires)) {
      issues.push({
        path: `${at}.requires`,
        message: `names "${requires}", which is not an environment listed before "${env.name}"`,
        line: lineOf(["environments", index, "requires"]),
      });
    }
    seen.add(env.name);
    const steps = stepsOf(env, at, validateExecutor, issues, (path) => lineOf(["environments", index, ...path]));
    const backoffMs = env.backoff === undefined ? 10_000 : parseDuration(env.backoff);
    if (backoffMs === undefined)
      issues.push({
        path: `${at}.backoff`,
        message: `"${env.backoff}" is not a duration (e.g. 30s, 5m)`,
        line: lineOf(["environments", index, "backoff"]),
      });
    return {
      name: env.name,
      position: index,
      requires,
      autoDeployBranch: env.autoDeploy?.branch ?? null,
      spec: {
        steps,
        retries: env.retries ?? 0,
        ...(env.rollbackOnFailure ? { rollbackOnFailure: true } : {}),
        backoffMs: backoffMs ?? 0,
        ...(env.gates?.length ? { gates: env.gates } : {}),
        ...(env.approval
          ? { approval: approvalPolicy(env.approval, at, issues, (path) => lineOf(["environments", index, "approval", ...path])) }
          : {}),
      },
    };
  });
  // A run_healthy gate judges runs in an environment of this file; a typo would keep every run out of it.
  file.environments.forEach((env, index) => {
    env.gates?.forEach((gate, g) => {
      if (gate.type === "run_healthy" && gate.environment !== undefined && !seen.has(gate.environment)) {
        issues.push({
          path: `environments[${index}].gates[${g}].environment`,
          message: `names "${gate.environment}", which is not an environment of this file (${[...seen].join(", ")})`,
          line: lineOf(["environments", index, "gates", g, "environment"]),
        });
      }
    });
  });
  if (file.flags)
    issues.push(
      ...flagsConfigIssues(
        file.flags,
        file.environments.map((e) => e.name),
      ),
    );
  if (issues.length > 0) throw configError(issues);
  return {
    ...(file.project === undefined ? {} : { project: file.project }),
    ...(file.name === undefined ? {} : { name: file.name }),
    ...(file.repo === undefined ? {} : { repo: file.repo }),
    ...(file.commitStatus === undefined ? {} : { commitStatus: file.commitStatus }),
    ...(file.notifications === undefined ? {} : { notifications: file.notifications }),
    // Run alert rules (features/runs reads them from the stored config).
    ...(file.alerts === undefined ? {} : { alerts: file.alerts }),
    ...(file.runs === undefined ? {} : { runs: file.runs }),
    ...(file.flags === undefined ? {} : { flags: file.flags }),
    environments,
  };
}

function stepsOf(
  env: StagegateYaml["environments"][number],
  at: string,
  validateExecutor: ExecutorConfigValidator,
  issues: Issue[],
  lineOf: (path: (string | number)[]) => number | undefined,
): StepSpec[] {
  if ((env.executor === undefined) === (env.steps === undefined)) {
    issues.push({
      path: at,
      message: "needs exactly one of `executor:` (one step) or `steps:` (several, in order)",
      line: lineOf([]),
    });
    return [];
  }
  const declared = env.steps
    ? env.steps.map((step, i) => ({ step, path: `${at}.steps[${i}]`, yamlPath: ["steps", i] as (string | number)[] }))
    : [{ step: { ...env.executor, name: undefined }, path: `${at}.executor`, yamlPath: ["executor"] as (string | number)[] }];
  const names = new Set<string>();
  return declared.map(({ step, path, yamlPath }) => {
    const type = step.type ?? "";
    const name = step.name ?? type;
    if (names.has(name))
      issues.push({ path: `${path}.name`, message: `duplicates step "${name}"; give each step a name`, line: lineOf(yamlPath) });
    names.add(name);
    const checked = validateExecutor(type, step.config ?? {}, `${path}.config`);
    if (!checked.ok)
      issues.push(...checked.errors.map((error) => ({ ...error, line: lineOf([...yamlPath, "config"]) ?? lineOf(yamlPath) })));
    // Only `steps:` entries carry these; the `executor:` shorthand is one plain step.
    const extra: Pick<Static<typeof StepSchema>, "reports" | "retries" | "continueOnError" | "verify"> = env.steps
      ? (step as Static<typeof StepSchema>)
      : {};
    return {
      name,
      type,
      config: checked.ok ? checked.config : null,
      ...(extra.reports ? { reports: extra.reports } : {}),
      ...(extra.retries === undefined ? {} : { retries: extra.retries }),
      ...(extra.continueOnError ? { continueOnError: true } : {}),
      ...(extra.verify ? { verify: true } : {}),
    };
  });
}

function approvalPolicy(
  input: ApprovalPolicyInput,
  at: string,
  issues: Issue[],
  lineOf: (path: (string | number)[]) => number | undefined,
): ApprovalPolicy {
  const duration = (key: "expiresAfter" | "waitTimer", fallback: number) => {
    const value = input[key];
    if (value === undefined) return fallback;
    const ms = parseDuration(value);
    if (ms === undefined)
      issues.push({
        path: `${at}.approval.${key}`,
        message: `"${value}" is not a duration (e.g. 24h, 10m)`,
        line: lineOf([key]),
      });
    return ms ?? fallback;
  };
  const names = new Set<string>();
  for (const [i, group] of input.groups.entries()) {
    if (names.has(group.name))
      issues.push({
        path: `${at}.approval.groups[${i}].name`,
        message: `duplicates group "${group.name}"`,
        line: lineOf(["groups", i]),
      });
    names.add(group.name);
  }
  for (const message of checkFreezeWindows(input.freezeWindows ?? [], { path: `${at}.approval.freezeWindows` })) {
    issues.push({ path: `${at}.approval.freezeWindows`, message, line: lineOf(["freezeWindows"]) });
  }
  return {
    ...(input.freezeWindows?.length ? { freezeWindows: input.freezeWindows } : {}),
    groups: input.groups.map((g) => ({ name: g.name, members: g.members, required: g.required ?? 1 })),
    allowSelfApproval: input.allowSelfApproval ?? false,
    expiresAfterMs: duration("expiresAfter", DEFAULT_EXPIRY_MS),
    waitTimerMs: duration("waitTimer", 0),
  };
}
