import { type Static, type TSchema, Type } from "typebox";

/**
 * The public HTTP contract: request and response bodies of `/api/v1`. Route schemas (and so the OpenAPI document)
 * and the SDK client are both built from these, so server and clients cannot drift apart.
 */

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const Timestamp = Type.String({ format: "date-time" });

export const Slug = Type.String({ pattern: "^[a-z0-9][a-z0-9_-]{0,62}$", description: "lowercase letters, digits, - and _" });
export const EnvironmentName = Type.String({ pattern: "^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$" });

export const ErrorBody = Type.Object({
  error: Type.Object({
    code: Type.String(),
    message: Type.String(),
    details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  }),
});
export type ErrorBody = Static<typeof ErrorBody>;

export const PageQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  cursor: Type.Optional(Type.String({ maxLength: 200 })),
});

export const Page = <T extends TSchema>(item: T) => Type.Object({ items: Type.Array(item), nextCursor: Nullable(Type.String()) });
export interface PageOf<T> {
  items: T[];
  nextCursor: string | null;
}

// ── projects ────────────────────────────────────────────────────────────────────────────────────────────────────
export const CreateProjectBody = Type.Object(
  {
    slug: Slug,
    name: Type.String({ minLength: 1, maxLength: 200 }),
    repoUrl: Type.Optional(Type.String({ maxLength: 2000, pattern: "^(https?|ssh|git)://|^git@" })),
  },
  { additionalProperties: false },
);
export type CreateProjectBody = Static<typeof CreateProjectBody>;

export const Project = Type.Object({
  slug: Type.String(),
  name: Type.String(),
  repoUrl: Nullable(Type.String()),
  environments: Type.Array(Type.String(), { description: "environment names in lifecycle order" }),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Project = Static<typeof Project>;

export const ConfigChange = Type.Object({
  environment: Type.String(),
  change: Type.Union([Type.Literal("added"), Type.Literal("updated"), Type.Literal("removed"), Type.Literal("unchanged")]),
});
export const ApplyConfigResult = Type.Object({
  project: Project,
  changed: Type.Boolean(),
  changes: Type.Array(ConfigChange),
});
export type ApplyConfigResult = Static<typeof ApplyConfigResult>;

// ── releases ────────────────────────────────────────────────────────────────────────────────────────────────────
export const CreateReleaseBody = Type.Object(
  {
    version: Type.String({ minLength: 1, maxLength: 128, pattern: "^[A-Za-z0-9][A-Za-z0-9._+-]*$" }),
    commitSha: Type.String({ pattern: "^[0-9a-fA-F]{7,64}$" }),
    branch: Type.String({ minLength: 1, maxLength: 255 }),
    artifactUrl: Type.Optional(Type.String({ maxLength: 2000 })),
    artifactDigest: Type.Optional(Type.String({ maxLength: 200, pattern: "^[a-z0-9]+:[A-Za-z0-9+/=_-]+$" })),
    notes: Type.Optional(Type.String({ maxLength: 20000 })),
  },
  { additionalProperties: false },
);
export type CreateReleaseBody = Static<typeof CreateReleaseBody>;

export const Release = Type.Object({
  version: Type.String(),
  commitSha: Type.String(),
  branch: Type.String(),
  artifactUrl: Nullable(Type.String()),
  artifactDigest: Nullable(Type.String()),
  notes: Nullable(Type.String()),
  createdBy: Nullable(Type.String()),
  createdAt: Timestamp,
});
export type Release = Static<typeof Release>;

// ── deployments ─────────────────────────────────────────────────────────────────────────────────────────────────
export const DEPLOYMENT_STATUSES = [
  "pending_gates",
  "pending_approval",
  "queued",
  "running",
  "succeeded",
  "failed",
  "errored",
  "rejected",
  "expired",
  "cancelled",
  "superseded",
] as const;
export type DeploymentStatus = (typeof DEPLOYMENT_STATUSES)[number];
export const TERMINAL_STATUSES: readonly DeploymentStatus[] = [
  "succeeded",
  "failed",
  "errored",
  "rejected",
  "expired",
  "cancelled",
  "superseded",
];
export const DeploymentStatusSchema = Type.Union([
  Type.Literal("pending_gates"),
  Type.Literal("pending_approval"),
  Type.Literal("queued"),
  Type.Literal("running"),
  Type.Literal("succeeded"),
  Type.Literal("failed"),
  Type.Literal("errored"),
  Type.Literal("rejected"),
  Type.Literal("expired"),
  Type.Literal("cancelled"),
  Type.Literal("superseded"),
]);

export const Deployment = Type.Object({
  id: Type.String(),
  project: Type.String(),
  environment: Type.String(),
  release: Type.String({ description: "release version" }),
  kind: Type.Union([Type.Literal("deploy"), Type.Literal("rollback")]),
  status: DeploymentStatusSchema,
  reason: Nullable(Type.String()),
  step: Nullable(
    Type.Object({
      index: Type.Integer({ description: "0-based position in the environment's steps" }),
      name: Type.String(),
      attempt: Type.Integer({ description: "0 for the first try, 1 for the first retry, …" }),
    }),
  ),
  externalId: Nullable(Type.String()),
  /** Link to the run at the target (ADF, Databricks, GitHub Actions, …) when the executor reports one. */
  externalUrl: Nullable(Type.String()),
  createdBy: Nullable(Type.String()),
  createdAt: Timestamp,
  startedAt: Nullable(Timestamp),
  finishedAt: Nullable(Timestamp),
  runId: Type.Optional(
    Nullable(
      Type.String({
        description:
          "The pipeline run that collects the deployment's logs and metrics (made when it starts running); in GET /deployments/{id}",
      }),
    ),
  ),
});
export type Deployment = Static<typeof Deployment>;

export const ReleaseDetail = Type.Intersect([
  Release,
  Type.Object({
    environments: Type.Array(
      Type.Object({ environment: Type.String(), deployments: Type.Array(Deployment, { description: "newest first" }) }),
    ),
  }),
]);
export type ReleaseDetail = Static<typeof ReleaseDetail>;

export const PromoteBody = Type.Object(
  {
    environment: EnvironmentName,
    override: Type.Optional(
      Type.Object(
        { reason: Type.String({ minLength: 10, maxLength: 2000, description: "why failing gates are overridden (recorded)" }) },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type PromoteBody = Static<typeof PromoteBody>;

export const CallbackBody = Type.Object(
  {
    status: Type.Union([Type.Literal("succeeded"), Type.Literal("failed")]),
    message: Type.Optional(Type.String({ maxLength: 4000 })),
    log: Type.Optional(Type.String({ maxLength: 1024 * 1024 })),
  },
  { additionalProperties: false },
);
export type CallbackBody = Static<typeof CallbackBody>;

export const DeploymentListQuery = Type.Intersect([
  PageQuery,
  Type.Object({ environment: Type.Optional(EnvironmentName), status: Type.Optional(DeploymentStatusSchema) }),
]);

// ── environments and status ─────────────────────────────────────────────────────────────────────────────────────
export const Environment = Type.Object({
  name: Type.String(),
  position: Type.Integer(),
  requires: Nullable(Type.String()),
  autoDeploy: Nullable(Type.Object({ branch: Type.String() })),
  executor: Type.Array(Type.Object({ name: Type.String(), type: Type.String() }), { description: "steps in order" }),
  currentRelease: Nullable(Type.Object({ version: Type.String(), deployedAt: Timestamp, deploymentId: Type.String() })),
  lastDeployment: Nullable(Deployment),
});
export type Environment = Static<typeof Environment>;

export const StatusCell = Type.Object({
  environment: Type.String(),
  current: Nullable(
    Type.Object({ version: Type.String(), since: Timestamp, deploymentId: Type.String(), by: Nullable(Type.String()) }),
  ),
  last: Nullable(Deployment),
});
export const ProjectStatus = Type.Object({
  project: Type.String(),
  environments: Type.Array(StatusCell),
  releases: Type.Array(
    Type.Object({
      version: Type.String(),
      createdAt: Timestamp,
      cells: Type.Array(Type.Object({ environment: Type.String(), status: Nullable(DeploymentStatusSchema) })),
    }),
    { description: "the newest releases, with each one's latest deployment status per environment" },
  ),
});
export type ProjectStatus = Static<typeof ProjectStatus>;

// ── tokens, users, sessions: see auth.api.ts ─────────────────────────────────────────────────────────────────────
