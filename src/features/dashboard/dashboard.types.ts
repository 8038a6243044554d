import { type Static, Type } from "typebox";
import { Deployment, DeploymentStatusSchema, Nullable } from "../../shared/api.ts";
import { RoleSchema } from "../../shared/auth.api.ts";

/** Read-only views the dashboard needs in one call each: the paginated matrix, DORA figures, project summaries. */

const Timestamp = Type.String({ format: "date-time" });

export const MatrixCell = Type.Object({
  environment: Type.String(),
  deploymentId: Type.String(),
  status: DeploymentStatusSchema,
  kind: Type.String(),
  at: Timestamp,
  by: Nullable(Type.String()),
});
export type MatrixCell = Static<typeof MatrixCell>;

export const EnvironmentColumn = Type.Object({
  name: Type.String(),
  position: Type.Integer(),
  requires: Nullable(Type.String()),
  gates: Type.Array(Type.String(), { description: "gate types checked on promotion" }),
  approvalRequired: Type.Integer({ description: "approvals needed in total; 0 when the environment has no policy" }),
  current: Nullable(
    Type.Object({ version: Type.String(), since: Timestamp, deploymentId: Type.String(), by: Nullable(Type.String()) }),
  ),
  last: Nullable(Deployment),
  pending: Nullable(
    Type.Object({
      deploymentId: Type.String(),
      release: Type.String(),
      createdBy: Nullable(Type.String()),
      createdAt: Timestamp,
      approvals: Type.Integer(),
      required: Type.Integer(),
    }),
  ),
});
export type EnvironmentColumn = Static<typeof EnvironmentColumn>;

export const MatrixRow = Type.Object({
  version: Type.String(),
  commitSha: Type.String(),
  branch: Type.String(),
  createdAt: Timestamp,
  createdBy: Nullable(Type.String()),
  cells: Type.Array(Nullable(MatrixCell), { description: "one per environment column, in lifecycle order" }),
});
export type MatrixRow = Static<typeof MatrixRow>;

export const ProjectMatrix = Type.Object({
  project: Type.String(),
  name: Type.String(),
  role: Nullable(RoleSchema),
  environments: Type.Array(EnvironmentColumn),
  releases: Type.Object({ items: Type.Array(MatrixRow), nextCursor: Nullable(Type.String()) }),
});
export type ProjectMatrix = Static<typeof ProjectMatrix>;

export const DoraQuery = Type.Object({
  days: Type.Optional(Type.Union([Type.Literal(7), Type.Literal(30), Type.Literal(90)], { default: 30 })),
  environment: Type.Optional(Type.String({ maxLength: 63 })),
});

export const DoraPoint = Type.Object({
  day: Type.String({ description: "YYYY-MM-DD (UTC)" }),
  deployments: Type.Integer(),
  failures: Type.Integer(),
  leadTimeMs: Nullable(Type.Number()),
});

export const DoraFigures = Type.Object({
  environment: Nullable(Type.String({ description: "the environment measured: the last in the lifecycle by default" })),
  days: Type.Integer(),
  from: Timestamp,
  to: Timestamp,
  deploymentFrequency: Type.Object({ deployments: Type.Integer(), perDay: Type.Number() }),
  leadTime: Type.Object({
    medianMs: Nullable(Type.Number({ description: "release created → succeeded in the environment" })),
  }),
  changeFailureRate: Type.Object({ failed: Type.Integer(), finished: Type.Integer(), rate: Nullable(Type.Number()) }),
  timeToRestore: Type.Object({ incidents: Type.Integer(), medianMs: Nullable(Type.Number()) }),
  series: Type.Array(DoraPoint),
});
export type DoraFigures = Static<typeof DoraFigures>;

export const ProjectSummary = Type.Object({
  slug: Type.String(),
  name: Type.String(),
  repoUrl: Nullable(Type.String()),
  environments: Type.Array(
    Type.Object({
      name: Type.String(),
      version: Nullable(Type.String({ description: "the release running there" })),
      status: Nullable(DeploymentStatusSchema),
      at: Nullable(Timestamp),
    }),
  ),
});
export type ProjectSummary = Static<typeof ProjectSummary>;

export const UiConfig = Type.Object({
  oidc: Nullable(Type.Object({ loginUrl: Type.String(), label: Type.String() })),
});
export type UiConfig = Static<typeof UiConfig>;

export const Readiness = Type.Object({
  version: Type.String(),
  environments: Type.Array(
    Type.Object({
      environment: Type.String(),
      lifecycle: Type.Object({ ok: Type.Boolean(), requires: Nullable(Type.String()) }),
      freeze: Nullable(Type.Object({ reason: Type.String(), liftsAt: Type.String() })),
      gates: Nullable(
        Type.Object({
          passed: Type.Boolean(),
          results: Type.Array(
            Type.Object({
              type: Type.String(),
              passed: Type.Boolean(),
              expected: Type.String(),
              actual: Type.String(),
              message: Type.String(),
              evidence: Type.Object({
                commitSha: Type.String(),
                runIds: Type.Array(Type.String()),
                url: Nullable(Type.String()),
              }),
            }),
          ),
        }),
      ),
      lock: Nullable(Type.Object({ deploymentId: Type.String(), release: Type.String() })),
    }),
  ),
});
export type Readiness = Static<typeof Readiness>;
