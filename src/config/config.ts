import { type Static, Type } from "typebox";
import { Value } from "typebox/value";

/** Every setting the server reads, with its env var, default and meaning. Parsed once at boot. */
export const ConfigSchema = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8080, description: "HTTP port" }),
  HOST: Type.String({ minLength: 1, default: "0.0.0.0", description: "Address to listen on" }),
  DATABASE_URL: Type.String({
    pattern: "^(sqlite:|postgres(ql)?://)",
    default: "sqlite:./data/stagegate.db",
    description: "sqlite:<path> (embedded) or postgres://user@host:port/db",
  }),
  DATA_DIR: Type.String({ minLength: 1, default: "./data", description: "Where the admin token file is written" }),
  STAGEGATE_DEMO: Type.Boolean({ default: true, description: "Seed the demo project on an empty database" }),
  STAGEGATE_JOBS: Type.Boolean({
    default: true,
    description: "Run background jobs (deploys, notifications, retention) in this process; 0 for API-only replicas",
  }),
  STAGEGATE_PUBLIC_URL: Type.Optional(
    Type.String({ pattern: "^https?://", description: "Base URL others reach this server at (webhook callbacks)" }),
  ),
  STAGEGATE_ADMIN_TOKEN: Type.Optional(
    Type.String({ minLength: 24, description: "Use this admin token instead of generating one on first start" }),
  ),
  STAGEGATE_ADMIN_PASSWORD: Type.Optional(
    Type.String({ minLength: 12, description: "On first start (no users yet), create user `admin` (global admin) with it" }),
  ),
  LOG_LEVEL: Type.Union(
    [
      Type.Literal("fatal"),
      Type.Literal("error"),
      Type.Literal("warn"),
      Type.Literal("info"),
      Type.Literal("debug"),
      Type.Literal("trace"),
      Type.Literal("silent"),
    ],
    { default: "info" },
  ),
  BODY_LIMIT_BYTES: Type.Integer({ minimum: 1024, default: 10 * 1024 * 1024, description: "Max JSON/YAML body" }),
  JOB_POLL_MS: Type.Integer({ minimum: 10, default: 250, description: "How often idle workers look for jobs" }),
  JOB_LEASE_MS: Type.Integer({
    minimum: 500,
    default: 30_000,
    description: "A claimed job is lost after this without a heartbeat",
  }),
  JOB_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 256, default: 8, description: "Jobs one process runs at once" }),
  REPORT_MAX_BYTES: Type.Integer({ minimum: 1024, default: 512 * 1024 * 1024, description: "Largest report upload on the wire" }),
  REPORT_MAX_DECOMPRESSED_BYTES: Type.Integer({
    minimum: 1024,
    default: 4 * 1024 * 1024 * 1024,
    description: "Largest report upload after gunzip",
  }),
  REPORT_MAX_RATIO: Type.Integer({ minimum: 2, default: 200, description: "Largest gunzip expansion ratio accepted" }),
  SPARK_MAX_DECOMPRESSED_BYTES: Type.Integer({
    minimum: 1024,
    default: 8 * 1024 * 1024 * 1024,
    description: "Largest Spark event log after decompression, all parts of a rolling log together (413 above)",
  }),
  SPARK_MAX_RATIO: Type.Integer({
    minimum: 2,
    default: 200,
    description: "Largest decompression ratio of a Spark event log, checked from 64 MiB decompressed (413 above)",
  }),
  DEFAULT_BRANCH: Type.String({
    minLength: 1,
    default: "main",
    description: "Branch whose latest report is the base of comparisons",
  }),
  SMTP_HOST: Type.Optional(Type.String({ minLength: 1, description: "SMTP relay for email notification channels" })),
  SMTP_PORT: Type.Integer({ minimum: 1, maximum: 65535, default: 587 }),
  SMTP_SECURE: Type.Boolean({ default: false, description: "TLS from the first byte (port 465); else STARTTLS when offered" }),
  SMTP_USER: Type.Optional(Type.String({ minLength: 1 })),
  SMTP_PASS: Type.Optional(Type.String({ minLength: 1 })),
  FLAGS_RATE_LIMIT: Type.Integer({
    minimum: 0,
    default: 10_000,
    description: "OFREP/SDK requests per second per SDK key (per replica; 429 + Retry-After beyond); 0 = no limit",
  }),
  RUNS_INGEST_RATE_LIMIT: Type.Integer({
    minimum: 0,
    default: 10_000,
    description:
      "Run ingest requests (NDJSON, OTLP, metrics) per second per token (per replica; 429 + Retry-After); 0 = no limit",
  }),
  RUNS_RETENTION_DAYS: Type.Integer({
    minimum: 0,
    default: 30,
    description:
      "Days a run's logs and metrics are kept after it ended, unless stagegate.yaml runs.retention.days says; 0 = forever",
  }),
  RUNS_RETENTION_BYTES: Type.Integer({
    minimum: 0,
    default: 20 * 1024 ** 3,
    description:
      "Most stored log bytes per project (oldest ended runs purged first) unless runs.retention.bytes says; 0 = no limit",
  }),
  RUNS_RETENTION_INTERVAL_MS: Type.Integer({ minimum: 100, default: 3_600_000, description: "How often retention runs" }),
  SMTP_FROM: Type.String({
    minLength: 3,
    default: "stagegate <stagegate@localhost>",
    description: "Sender of notification emails",
  }),
  OIDC_ISSUER_URL: Type.Optional(
    Type.String({
      pattern: "^https?://",
      description: "OIDC sign-in: the identity provider's issuer URL (https; http only on loopback, for tests)",
    }),
  ),
  OIDC_CLIENT_ID: Type.Optional(Type.String({ minLength: 1, description: "OIDC sign-in: this server's client id" })),
  OIDC_CLIENT_SECRET: Type.Optional(Type.String({ minLength: 1, description: "OIDC sign-in: the client secret" })),
  OIDC_REDIRECT_URL: Type.Optional(
    Type.String({
      pattern: "^https?://",
      description: "OIDC sign-in: the callback registered at the provider (default <public URL>/api/v1/auth/oidc/callback)",
    }),
  ),
  OIDC_SCOPES: Type.String({ minLength: 1, default: "openid profile email groups", description: "OIDC sign-in: scopes" }),
  OIDC_GROUPS_CLAIM: Type.String({ minLength: 1, default: "groups", description: "OIDC sign-in: claim listing groups" }),
  OIDC_GROUP_ROLES: Type.String({
    default: "{}",
    description: 'OIDC sign-in: JSON group → roles, e.g. {"platform":"global_admin","quants":{"demo":"developer"}}',
  }),
  OIDC_DISPLAY_NAME: Type.String({ minLength: 1, default: "single sign-on", description: "OIDC sign-in: button label" }),
  LOG_HEAD_BYTES: Type.Integer({
    minimum: 1024,
    default: 4 * 1024 * 1024,
    description: "Deployment log: bytes kept from the start",
  }),
  LOG_TAIL_BYTES: Type.Integer({
    minimum: 1024,
    default: 4 * 1024 * 1024,
    description: "Deployment log: bytes kept from the end",
  }),
});

export type Config = Static<typeof ConfigSchema>;

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

const BOOLEAN_WORDS: Record<string, boolean> = {
  "1": true,
  true: true,
  yes: true,
  on: true,
  "0": false,
  false: false,
  no: false,
  off: false,
};

const BOOLEAN_SETTINGS = new Set(["STAGEGATE_DEMO", "STAGEGATE_JOBS", "SMTP_SECURE"]);

/** Reads the settings from env vars; a wrong value throws one ConfigError that names every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(ConfigSchema.properties)) {
    const value = env[key];
    if (value === undefined || value === "") continue;
    raw[key] = BOOLEAN_SETTINGS.has(key) ? (BOOLEAN_WORDS[value.toLowerCase()] ?? value) : value;
  }
  const withDefaults = Value.Convert(ConfigSchema, Value.Default(ConfigSchema, raw));
  const errors = Value.Errors(ConfigSchema, withDefaults);
  if (errors.length > 0) {
    const lines = errors.map((error) => {
      const name = error.instancePath.replace(/^\//, "") || "(config)";
      return `  ${name}=${JSON.stringify(env[name] ?? "")}: ${error.message}`;
    });
    throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
  }
  return withDefaults as Config;
}
