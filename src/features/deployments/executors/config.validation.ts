import type { TSchema } from "typebox";
import type { TLocalizedValidationError } from "typebox/error";
import { Value } from "typebox/value";

export interface ConfigIssue {
  path: string;
  message: string;
}

export type ConfigCheck = { ok: true; config: unknown } | { ok: false; errors: ConfigIssue[] };

/**
 * Applies the schema's defaults to a copy of `config` and checks it. Errors are reworded for people editing
 * stagegate.yaml: `path` is the dotted field (`environments[1].executor.config.timeout`), not a JSON pointer.
 */
export function validateConfig(schema: TSchema, config: unknown, path: string): ConfigCheck {
  const value = Value.Default(schema, Value.Clone(config));
  const errors = Value.Errors(schema, value);
  if (errors.length === 0) return { ok: true, config: value };
  return { ok: false, errors: describeErrors(errors, path) };
}

function describeErrors(errors: TLocalizedValidationError[], path: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const consumed = new Set<TLocalizedValidationError>();
  for (const union of errors.filter((error) => error.keyword === "anyOf")) {
    const branches = errors.filter((error) => error.schemaPath.startsWith(`${union.schemaPath}/anyOf/`));
    for (const branch of branches) consumed.add(branch);
    // A branch whose type matched but failed deeper says more ("must not have fewer than 1 items") than the
    // list of every branch's "must be …"; when none matched at all, say which types would do.
    const closer = branches.filter((error) => error.keyword !== "type" || error.instancePath !== union.instancePath);
    if (closer.length > 0) {
      for (const error of closer) consumed.delete(error);
      continue;
    }
    const types = branches.flatMap((error) => (error.keyword === "type" ? error.params.type : []));
    consumed.add(union);
    issues.push({ path: join(path, union.instancePath), message: `must be ${[...new Set(types)].join(" or ")}` });
  }
  for (const error of errors) {
    if (consumed.has(error) || error.keyword === "anyOf") continue;
    const issue = describeError(error, path);
    if (issue) issues.push(issue);
  }
  return dedupe(issues);
}

function describeError(error: TLocalizedValidationError, path: string): ConfigIssue | undefined {
  switch (error.keyword) {
    // `additionalProperties: false` reports each extra key twice; the keyword error carries the name.
    case "boolean":
      return undefined;
    case "additionalProperties":
      return { path: join(path, error.instancePath, error.params.additionalProperties[0]), message: "is not a known key" };
    case "required":
      return { path: join(path, error.instancePath, error.params.requiredProperties[0]), message: "is required" };
    default:
      return { path: join(path, error.instancePath), message: error.message };
  }
}

/** `config` + `/env/MY VAR` + `x` → `config.env["MY VAR"].x`; array indexes become `[0]`. */
function join(base: string, pointer: string, key?: string): string {
  const parts = pointer.split("/").slice(1).map(unescapePointer);
  if (key !== undefined) parts.push(key);
  return parts.reduce((out, part) => {
    if (/^\d+$/.test(part)) return `${out}[${part}]`;
    if (/^[A-Za-z_$][\w$-]*$/.test(part)) return out ? `${out}.${part}` : part;
    return `${out}[${JSON.stringify(part)}]`;
  }, base);
}

function unescapePointer(part: string): string {
  return part.replaceAll("~1", "/").replaceAll("~0", "~");
}

function dedupe(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = `${issue.path}\n${issue.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
