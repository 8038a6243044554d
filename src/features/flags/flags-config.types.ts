import { type Static, Type } from "typebox";
import { CreateFlagBody, FlagKey, FlagStatePatch } from "../../shared/flags/flags.api.ts";

/**
 * `flags:` in stagegate.yaml: flags declared as code, each with its state per environment *when it is created*.
 * Applying the config creates the flags that do not exist yet and sets those environments' states (audited, as the
 * person who applied it); flags that exist are left as they are, so applying the same file again changes nothing and
 * never undoes a rollout or a kill switch made since.
 */
export const FlagsConfigSchema = Type.Array(
  Type.Object(
    {
      key: FlagKey,
      type: Type.Optional(CreateFlagBody.properties.type),
      variants: Type.Optional(CreateFlagBody.properties.variants),
      defaultVariant: Type.Optional(Type.String()),
      offVariant: Type.Optional(Type.String()),
      description: Type.Optional(Type.String({ maxLength: 2000 })),
      owner: Type.Optional(Type.String({ maxLength: 200 })),
      tags: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 50 })),
      environments: Type.Optional(
        Type.Record(Type.String(), FlagStatePatch, { description: "environment name → its state when the flag is created" }),
      ),
    },
    { additionalProperties: false },
  ),
  { maxItems: 1000 },
);
export type FlagsConfig = Static<typeof FlagsConfigSchema>;

/** What the schema cannot see: duplicate keys, environments the file does not declare, variants a boolean needs. */
export function flagsConfigIssues(flags: FlagsConfig, environments: string[]): Array<{ path: string; message: string }> {
  const issues: Array<{ path: string; message: string }> = [];
  const seen = new Set<string>();
  flags.forEach((flag, index) => {
    if (seen.has(flag.key)) issues.push({ path: `flags[${index}].key`, message: `declares "${flag.key}" twice` });
    seen.add(flag.key);
    if ((flag.type ?? "boolean") !== "boolean" && !flag.variants) {
      issues.push({ path: `flags[${index}].variants`, message: `is required for a ${flag.type} flag` });
    }
    for (const env of Object.keys(flag.environments ?? {})) {
      if (!environments.includes(env)) {
        issues.push({ path: `flags[${index}].environments.${env}`, message: "names an environment this file does not declare" });
      }
    }
  });
  return issues;
}
