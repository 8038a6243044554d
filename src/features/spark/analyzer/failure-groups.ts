import type { FailureGroup } from "../spark.types.ts";
import { rootCause } from "./failure-cause.ts";
import type { Json } from "./json.ts";

const MAX_FAILURE_GROUPS = 200;
const MAX_PLACES_KEPT = 50;

interface GroupState extends FailureGroup {
  stageSet: Set<number>;
  executorSet: Set<string>;
}

/** Failed tasks grouped by root cause (exception class and first frame), with where they happened; capped. */
export class FailureGroups {
  readonly #groups = new Map<string, GroupState>();

  add(reasonObj: Json, reason: string, stageId: number, executorId: string | null): void {
    const cause = rootCause(reasonObj, reason);
    let group = this.#groups.get(cause.key);
    if (!group) {
      if (this.#groups.size >= MAX_FAILURE_GROUPS) return;
      group = {
        cause: [cause.exceptionClass ?? reason, cause.frame].filter(Boolean).join(" at "),
        reason,
        exceptionClass: cause.exceptionClass,
        frame: cause.frame,
        count: 0,
        stages: [],
        executors: [],
        example: cause.message.slice(0, 500),
        stageSet: new Set(),
        executorSet: new Set(),
      };
      this.#groups.set(cause.key, group);
    }
    group.count++;
    if (group.stageSet.size < MAX_PLACES_KEPT) group.stageSet.add(stageId);
    const where = cause.executorId ?? executorId;
    if (where !== null && group.executorSet.size < MAX_PLACES_KEPT) group.executorSet.add(where);
  }

  /** Most frequent first. */
  list(): FailureGroup[] {
    return [...this.#groups.values()]
      .sort((a, b) => b.count - a.count)
      .map(({ stageSet, executorSet, ...group }) => ({ ...group, stages: [...stageSet], executors: [...executorSet] }));
  }
}
