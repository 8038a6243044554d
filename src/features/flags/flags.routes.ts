import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { EnvironmentName, ErrorBody, Page, PageQuery, Slug } from "../../shared/api.ts";
import { invalid } from "../../shared/errors.ts";
import {
  CreatedSdkKey,
  CreateFlagBody,
  CreateSdkKeyBody,
  Flag,
  FlagChangeRequest,
  FlagKey,
  FlagManifest,
  FlagSetSchema,
  FlagSetVersion,
  PromoteFlagsBody,
  PromoteFlagsResult,
  ReasonBody,
  RestoreFlagsBody,
  RolloutBody,
  SdkKeyInfo,
  SegmentBody,
  SegmentSchema,
  SetFlagStateBody,
  StaleFlag,
  UpdateFlagBody,
} from "../../shared/flags/flags.api.ts";
import type { Actor } from "../../shared/roles.ts";
import type { ProjectsService } from "../projects/projects.service.ts";
import type { ChangeAuthor } from "./flags.changes.ts";
import type { ReleaseFlags } from "./flags.releases.ts";
import type { Applied, FlagsService } from "./flags.service.ts";
import { flagChangesRoutes } from "./flags-changes.routes.ts";
import type { SdkKeysService } from "./sdk-keys.service.ts";

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };
const SlugParams = Type.Object({ slug: Slug });
const FlagParams = Type.Object({ slug: Slug, key: FlagKey });
const EnvParams = Type.Object({ slug: Slug, env: EnvironmentName });
const EnvFlagParams = Type.Object({ slug: Slug, env: EnvironmentName, key: FlagKey });
const tags = ["flags"];

export function flagsRoutes(deps: {
  flags: FlagsService;
  sdkKeys: SdkKeysService;
  projects: ProjectsService;
  releaseFlags: ReleaseFlags;
}): FastifyPluginAsyncTypebox {
  const { flags, sdkKeys, projects, releaseFlags } = deps;
  const actorOf = (request: { actor: { name: string } | null }) => request.actor?.name ?? "anonymous";
  const authorOf = (request: { actor: Actor | null }): ChangeAuthor => ({
    name: request.actor?.name ?? "anonymous",
    id: request.actor?.kind === "user" ? request.actor.id : null,
  });
  /** 200 with the result, or 202 with the change request when it was scheduled or waits for approval. */
  const outcome = <T>(reply: { code(status: number): unknown }, result: Applied<T>): T | FlagChangeRequest => {
    if ("pending" in result) {
      reply.code(202);
      return result.pending;
    }
    return result.applied;
  };

  return async (app) => {
    await app.register(flagChangesRoutes({ changes: flags.changes, projects }));
    app.post(
      "/projects/:slug/flags",
      {
        schema: {
          tags,
          summary: "Create a flag (off in every environment)",
          params: SlugParams,
          body: CreateFlagBody,
          response: { 201: Flag, ...errors },
        },
      },
      async (request, reply) => {
        const project = await projects.record(request.params.slug);
        reply.code(201);
        return flags.create(project, request.body, actorOf(request));
      },
    );

    app.get(
      "/projects/:slug/flags",
      {
        schema: {
          tags,
          summary: "List flags by key, with their state per environment",
          params: SlugParams,
          querystring: PageQuery,
          response: { 200: Page(Flag), ...errors },
        },
      },
      async (request) => {
        const project = await projects.record(request.params.slug);
        return flags.list(project, { limit: request.query.limit ?? 50, cursor: request.query.cursor });
      },
    );

    app.get(
      "/projects/:slug/flags/:key",
      {
        schema: {
          tags,
          summary: "One flag with its state per environment",
          params: FlagParams,
          response: { 200: Flag, ...errors },
        },
      },
      async (request) => flags.get(await projects.record(request.params.slug), request.params.key),
    );

    app.patch(
      "/projects/:slug/flags/:key",
      {
        schema: {
          tags,
          summary: "Change a flag's description, owner, tags or variants",
          params: FlagParams,
          body: UpdateFlagBody,
          response: { 200: Flag, ...errors },
        },
      },
      async (request) =>
        flags.update(await projects.record(request.params.slug), request.params.key, request.body, actorOf(request)),
    );

    app.put(
      "/projects/:slug/environments/:env/flags/:key",
      {
        schema: {
          tags,
          summary:
            "Set a flag's state in one environment (enabled, variants served, rules, rollout); a new flag-set version. " +
            "202 with a change request when scheduled (`scheduleAt`) or when the environment needs approval",
          params: EnvFlagParams,
          body: SetFlagStateBody,
          response: { 200: Flag, 202: FlagChangeRequest, ...errors },
        },
      },
      async (request, reply) => {
        const project = await projects.record(request.params.slug);
        const { env, key } = request.params;
        return outcome(reply, await flags.setState(project, env, key, request.body, authorOf(request)));
      },
    );

    for (const [verb, enabled] of [
      ["enable", true],
      ["disable", false],
    ] as const) {
      app.post(
        `/projects/:slug/environments/:env/flags/:key/${verb}`,
        {
          schema: {
            tags,
            summary: `${verb === "enable" ? "Turn on" : "Turn off (kill switch)"} a flag in one environment`,
            params: EnvFlagParams,
            body: Type.Optional(ReasonBody),
            response: { 200: Flag, 202: FlagChangeRequest, ...errors },
          },
        },
        async (request, reply) => {
          const project = await projects.record(request.params.slug);
          const { env, key } = request.params;
          const result = await flags.toggle(project, { env, key, enabled }, request.body ?? {}, authorOf(request));
          return outcome(reply, result);
        },
      );
    }

    app.put(
      "/projects/:slug/environments/:env/flags/:key/rollout",
      {
        schema: {
          tags,
          summary: "Roll a flag out to a percentage (or weights over variants) and turn it on",
          params: EnvFlagParams,
          body: RolloutBody,
          response: { 200: Flag, 202: FlagChangeRequest, ...errors },
        },
      },
      async (request, reply) => {
        const project = await projects.record(request.params.slug);
        const { env, key } = request.params;
        return outcome(reply, await flags.rollout(project, env, key, request.body, authorOf(request)));
      },
    );

    app.post(
      "/projects/:slug/flag-promotions",
      {
        schema: {
          tags,
          summary: "Copy flag configuration from one environment to another (dryRun: only the diff)",
          params: SlugParams,
          body: PromoteFlagsBody,
          response: { 200: PromoteFlagsResult, ...errors },
        },
      },
      async (request) => flags.promote(await projects.record(request.params.slug), request.body, authorOf(request)),
    );

    app.get(
      "/projects/:slug/environments/:env/flag-versions",
      {
        schema: {
          tags,
          summary: "Flag-set versions of an environment, newest first: who, when, why, what changed",
          params: EnvParams,
          querystring: PageQuery,
          response: { 200: Page(FlagSetVersion), ...errors },
        },
      },
      async (request) => {
        const project = await projects.record(request.params.slug);
        const cursor = request.query.cursor;
        if (cursor !== undefined && !/^[1-9]\d{0,9}$/.test(cursor))
          throw invalid("cursor is not one this server handed out", { field: "cursor" });
        return flags.history(project, request.params.env, {
          limit: request.query.limit ?? 50,
          before: cursor ? Number(cursor) : undefined,
        });
      },
    );

    app.post(
      "/projects/:slug/environments/:env/flag-restores",
      {
        schema: {
          tags,
          summary: "Restore the flags of an environment to an earlier version (as a new version)",
          params: EnvParams,
          body: RestoreFlagsBody,
          response: { 200: FlagSetVersion, 202: FlagChangeRequest, ...errors },
        },
      },
      async (request, reply) => {
        const project = await projects.record(request.params.slug);
        return outcome(reply, await flags.restore(project, { env: request.params.env, ...request.body }, authorOf(request)));
      },
    );

    app.get(
      "/projects/:slug/environments/:env/flags/snapshot",
      {
        schema: {
          tags,
          summary: "The whole flag set of an environment, current or at `version` (pin it for a batch run)",
          params: EnvParams,
          querystring: Type.Object({ version: Type.Optional(Type.Integer({ minimum: 1 })) }),
          response: { 200: FlagSetSchema, ...errors },
        },
      },
      async (request) => flags.snapshot(await projects.record(request.params.slug), request.params.env, request.query.version),
    );

    const ReleaseParams = Type.Object({ slug: Slug, version: Type.String({ minLength: 1, maxLength: 200 }) });
    app.put(
      "/projects/:slug/releases/:version/flags",
      {
        schema: {
          tags,
          summary: "Attach a flag manifest to a release: applied per environment when a deployment of it succeeds",
          params: ReleaseParams,
          body: FlagManifest,
          response: { 200: FlagManifest, ...errors },
        },
      },
      async (request) => {
        const project = await projects.record(request.params.slug);
        return releaseFlags.setManifest(project, request.params.version, request.body, actorOf(request));
      },
    );

    app.get(
      "/projects/:slug/releases/:version/flags",
      {
        schema: { tags, summary: "A release's flag manifest", params: ReleaseParams, response: { 200: FlagManifest, ...errors } },
      },
      async (request) => releaseFlags.getManifest(await projects.record(request.params.slug), request.params.version),
    );

    app.get(
      "/projects/:slug/flag-segments",
      {
        schema: {
          tags,
          summary: "Segments: named reusable condition sets",
          params: SlugParams,
          response: { 200: Type.Object({ items: Type.Array(SegmentSchema) }), ...errors },
        },
      },
      async (request) => ({ items: await flags.segments(await projects.record(request.params.slug)) }),
    );

    app.put(
      "/projects/:slug/flag-segments/:key",
      {
        schema: {
          tags,
          summary: "Create or replace a segment",
          params: FlagParams,
          body: SegmentBody,
          response: { 200: SegmentSchema, ...errors },
        },
      },
      async (request) =>
        flags.putSegment(await projects.record(request.params.slug), request.params.key, request.body, actorOf(request)),
    );

    app.delete(
      "/projects/:slug/flag-segments/:key",
      {
        schema: {
          tags,
          summary: "Delete a segment no flag uses (409 when one does)",
          params: FlagParams,
          response: { 204: Type.Null(), ...errors },
        },
      },
      async (request, reply) => {
        await flags.deleteSegment(await projects.record(request.params.slug), request.params.key, actorOf(request));
        return reply.code(204).send(null);
      },
    );

    app.get(
      "/projects/:slug/flag-reports/stale",
      {
        schema: {
          tags,
          summary: "Flags unchanged and fully on/off, or not evaluated, for `days` days",
          params: SlugParams,
          querystring: Type.Object({ days: Type.Optional(Type.Integer({ minimum: 0, maximum: 3650, default: 30 })) }),
          response: { 200: Type.Object({ items: Type.Array(StaleFlag) }), ...errors },
        },
      },
      async (request) => ({ items: await flags.stale(await projects.record(request.params.slug), request.query.days ?? 30) }),
    );

    app.post(
      "/projects/:slug/environments/:env/sdk-keys",
      {
        schema: {
          tags,
          summary: "Create an SDK key for OFREP and the SDKs in one environment (the key is shown once)",
          params: EnvParams,
          body: CreateSdkKeyBody,
          response: { 201: CreatedSdkKey, ...errors },
        },
      },
      async (request, reply) => {
        const project = await projects.record(request.params.slug);
        reply.code(201);
        return sdkKeys.create(project, request.params.env, request.body.name, actorOf(request));
      },
    );

    app.get(
      "/projects/:slug/sdk-keys",
      {
        schema: {
          tags,
          summary: "SDK keys of a project (never the secrets)",
          params: SlugParams,
          response: { 200: Type.Object({ items: Type.Array(SdkKeyInfo) }), ...errors },
        },
      },
      async (request) => ({ items: await sdkKeys.list(await projects.record(request.params.slug)) }),
    );

    app.delete(
      "/projects/:slug/sdk-keys/:id",
      {
        schema: {
          tags,
          summary: "Revoke an SDK key",
          params: Type.Object({ slug: Slug, id: Type.String({ maxLength: 100 }) }),
          response: { 204: Type.Null(), ...errors },
        },
      },
      async (request, reply) => {
        await sdkKeys.revoke(await projects.record(request.params.slug), request.params.id, actorOf(request));
        return reply.code(204).send(null);
      },
    );
  };
}
