import type { FlagChange } from "../../shared/flags/flags.api.ts";
import type { FlagConfig } from "../../shared/flags/flags.types.ts";

const FIELDS = ["type", "variants", "enabled", "defaultVariant", "offVariant", "rules", "rollout"] as const;

/** What differs between two versions of an environment's flags, flag by flag and field by field. */
export function diffFlags(before: Record<string, FlagConfig>, after: Record<string, FlagConfig>): FlagChange[] {
  const changes: FlagChange[] = [];
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  for (const key of keys) {
    const old = before[key];
    const now = after[key];
    if (old === undefined && now !== undefined) {
      changes.push({ flag: key, change: "added", fields: fieldsOf(undefined, now) });
    } else if (old !== undefined && now === undefined) {
      changes.push({ flag: key, change: "removed", fields: fieldsOf(old, undefined) });
    } else if (old !== undefined && now !== undefined) {
      const fields = fieldsOf(old, now);
      if (Object.keys(fields).length > 0) changes.push({ flag: key, change: "changed", fields });
    }
  }
  return changes;
}

function fieldsOf(old: FlagConfig | undefined, now: FlagConfig | undefined): FlagChange["fields"] {
  const fields: FlagChange["fields"] = {};
  for (const field of FIELDS) {
    const before = old?.[field] ?? null;
    const after = now?.[field] ?? null;
    if (JSON.stringify(before) !== JSON.stringify(after)) fields[field] = { before, after };
  }
  return fields;
}
