import { DomainError } from "../../shared/errors.ts";
import { sha256Hex } from "../../shared/hashing.ts";
import { createRateLimiter } from "../../shared/rate-limit.ts";
import { type Actor, atLeast, roleIn } from "../../shared/roles.ts";
import { type RunsService, runNotFound } from "./runs.service.ts";
import type { RunRecord } from "./runs.types.ts";

export interface IngestAuthDeps {
  runs: Pick<RunsService, "runForToken" | "getRun">;
  /** Authenticates an API token (the auth feature's TokensService.authenticate). */
  authenticate: (secret: string | undefined) => Promise<Actor>;
  /** Ingest requests per second per token, bursts up to one second's worth; 0 = no limit. */
  ratePerSecond?: number;
}

export type IngestCredentials = { kind: "run"; run: RunRecord } | { kind: "actor"; actor: Actor };

export function bearerOf(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) throw new DomainError("unauthorized", "Authorization header must be `Bearer <token>`");
  return match[1];
}

/**
 * The caller of a request made with a run's ingest token, where a route takes one instead of an API token (ending the
 * run): a developer of the run's project and nothing else. Routes check the token's run is the one in the URL; the
 * audit log and `createdBy` fields show `run:<id>`.
 */
export function runActor(run: RunRecord): Actor {
  return {
    kind: "service",
    id: run.id,
    name: `run:${run.id}`,
    tokenId: null,
    via: "token",
    globalAdmin: false,
    projectRoles: { [run.projectId]: "developer" },
    allProjects: null,
    groups: [],
  };
}

export function mayWrite(credentials: IngestCredentials, run: RunRecord): string | undefined {
  if (credentials.kind === "run") {
    return credentials.run.id === run.id ? undefined : `the ingest token belongs to run ${credentials.run.id}, not ${run.id}`;
  }
  const role = roleIn(credentials.actor, run.projectId);
  // No role in the project: the caller learns no more than for a run that does not exist.
  if (role === null) return `run ${run.id} does not exist`;
  return atLeast(role, "developer")
    ? undefined
    : `${credentials.actor.name} needs the developer role to send records to run ${run.id}`;
}

/**
 * Ingest routes authenticate themselves: a run's own ingest token (what a worker holds), or an API token with the
 * developer role in the run's project.
 */
export function createIngestAuth(deps: IngestAuthDeps) {
  const limiter = createRateLimiter(deps.ratePerSecond ?? 0);

  /**
   * Seconds the sender of this Authorization header must wait (0 = go ahead). Checked before the body is read or the
   * token looked up, so a runaway client costs a hash. Keyed by the token's hash: no secret is kept in memory.
   */
  function throttle(header: string | undefined): number {
    const token = header ? /^Bearer\s+(\S+)$/i.exec(header)?.[1] : undefined;
    return token ? limiter.take(sha256Hex(token)) : 0;
  }

  async function credentials(token: string | undefined): Promise<IngestCredentials> {
    if (!token) throw new DomainError("unauthorized", "Send the run's ingest token or an API token: Authorization: Bearer …");
    if (token.startsWith("sgr_")) {
      const run = await deps.runs.runForToken(token);
      if (!run) throw new DomainError("unauthorized", "This ingest token belongs to no run; create the run again for a new one");
      return { kind: "run", run };
    }
    return { kind: "actor", actor: await deps.authenticate(token) };
  }

  /** The run `runId` when the token may write to it: 401 for a token of another run, 403 for a role too low. */
  async function authorize(token: string | undefined, runId: string): Promise<RunRecord> {
    const creds = await credentials(token);
    const run = creds.kind === "run" && creds.run.id === runId ? creds.run : await deps.runs.getRun(runId);
    // Someone with no role in the run's project learns nothing of it: the same 404 as for a run that does not exist.
    if (creds.kind === "actor" && roleIn(creds.actor, run.projectId) === null) throw runNotFound(runId);
    const refused = mayWrite(creds, run);
    if (refused) throw new DomainError(creds.kind === "run" ? "unauthorized" : "forbidden", refused);
    return run;
  }

  return { credentials, authorize, throttle };
}

export type IngestAuth = ReturnType<typeof createIngestAuth>;
