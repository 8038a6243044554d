import { conflict, notFound } from "../../shared/errors.ts";
import type { SegmentBody } from "../../shared/flags/flags.api.ts";
import type { Segment } from "../../shared/flags/flags.types.ts";
import { validateSegment } from "../../shared/flags/validate.ts";
import { newId } from "../../shared/ids.ts";
import type { ProjectRecord } from "../projects/projects.types.ts";
import * as store from "./flags.store.ts";
import { type FlagSetWriter, type FlagsDeps, problemsError } from "./flags.versions.ts";

/** Segments: named reusable condition sets. Saving or deleting one writes a new version of every environment using it. */
export function createFlagSegments(deps: FlagsDeps, writer: FlagSetWriter) {
  const { db, clock } = deps;
  const { transact, commitVersions, versionsData, segmentMap } = writer;

  async function putSegment(project: ProjectRecord, key: string, input: SegmentBody, actor: string): Promise<Segment> {
    const segment: Segment = {
      key,
      ...(input.description ? { description: input.description } : {}),
      conditions: input.conditions,
    };
    const problems = validateSegment(segment);
    if (problems.length > 0) throw problemsError(`Segment "${key}" is invalid`, problems);
    const envs = await deps.projects.environments(project.id);
    return transact(async (tx) => {
      await store.upsertSegment(tx, {
        id: newId("seg", clock.now().getTime()),
        projectId: project.id,
        key,
        description: input.description ?? "",
        conditions: input.conditions,
        updatedAt: clock.now().toISOString(),
      });
      const versions = await commitVersions(tx, { project, envs, actor, reason: `segment ${key} saved` });
      await deps.audit.append(tx, {
        actor,
        action: "flag_segment.saved",
        projectId: project.id,
        subject: { type: "flag_segment", id: key },
        data: { conditions: input.conditions.length, versions: versionsData(versions) },
      });
      return { result: segment, versions };
    });
  }

  async function deleteSegment(project: ProjectRecord, key: string, actor: string): Promise<void> {
    const envs = await deps.projects.environments(project.id);
    await transact(async (tx) => {
      const flags = await store.allFlags(tx, project.id);
      const states = await store.statesOfFlags(
        tx,
        flags.map((f) => f.id),
      );
      const users = states.filter((s) => s.rules.some((r) => r.conditions.some((c) => "segment" in c && c.segment === key)));
      if (users.length > 0) {
        const names = [...new Set(users.map((s) => flags.find((f) => f.id === s.flagId)?.key ?? s.flagId))];
        throw conflict(
          "invalid_state",
          `Segment "${key}" is used by flag ${names.map((n) => `"${n}"`).join(", ")}; remove it from their rules first`,
          {
            flags: names,
          },
        );
      }
      if (!(await store.deleteSegment(tx, project.id, key))) {
        throw notFound("not_found", `Segment "${key}" does not exist in project "${project.slug}"`);
      }
      const versions = await commitVersions(tx, { project, envs, actor, reason: `segment ${key} deleted` });
      await deps.audit.append(tx, {
        actor,
        action: "flag_segment.deleted",
        projectId: project.id,
        subject: { type: "flag_segment", id: key },
        data: { versions: versionsData(versions) },
      });
      return { result: undefined, versions };
    });
  }

  return {
    putSegment,
    deleteSegment,
    segments: async (project: ProjectRecord) => Object.values(segmentMap(await store.listSegments(db, project.id))),
  };
}
