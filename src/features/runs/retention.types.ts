import { type Static, Type } from "typebox";

const SIZE = "^\\s*\\d+(\\.\\d+)?\\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\\s*$";
const UNITS: Record<string, number> = {
  B: 1,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  KiB: 2 ** 10,
  MiB: 2 ** 20,
  GiB: 2 ** 30,
  TiB: 2 ** 40,
};

/** `runs:` in stagegate.yaml. */
export const RunsConfigSchema = Type.Object(
  {
    retention: Type.Optional(
      Type.Object(
        {
          days: Type.Optional(
            Type.Integer({
              minimum: 0,
              maximum: 36_500,
              description: "Delete a run's log records and metric samples this many days after it ended; 0 keeps them",
            }),
          ),
          bytes: Type.Optional(
            Type.Union([Type.Integer({ minimum: 0 }), Type.String({ pattern: SIZE })], {
              description: "Most stored log bytes of the project's runs (e.g. 20GiB); oldest ended runs go first; 0 = no limit",
            }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type RunsConfig = Static<typeof RunsConfigSchema>;

/** What retention enforces for one project; 0 turns a limit off. */
export interface RetentionPolicy {
  days: number;
  bytes: number;
}

/** `20GiB` → bytes; numbers are bytes already. */
export function parseSize(value: number | string): number {
  if (typeof value === "number") return value;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([KMGT]?i?B)\s*$/.exec(value);
  const factor = match?.[2] ? UNITS[match[2]] : undefined;
  if (!match || factor === undefined) throw new Error(`"${value}" is not a size such as 500MB or 20GiB`);
  return Math.floor(Number(match[1]) * factor);
}

/** The project's `runs.retention` over the server defaults, field by field. */
export function retentionPolicy(config: RunsConfig | undefined, defaults: RetentionPolicy): RetentionPolicy {
  const retention = config?.retention;
  return {
    days: retention?.days ?? defaults.days,
    bytes: retention?.bytes === undefined ? defaults.bytes : parseSize(retention.bytes),
  };
}
