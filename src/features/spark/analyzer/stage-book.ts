import type { StageSummary } from "../spark.types.ts";
import { MAX_STAGES_KEPT } from "./event-log.tables.ts";
import { type Json, num } from "./json.ts";
import { StageState } from "./stage-state.ts";

/** The stages of an application by (stage, attempt): running ones live, finished ones summarised and capped. */
export class StageBook {
  readonly #states = new Map<string, StageState>();
  readonly #finished: StageSummary[] = [];
  readonly #attemptsSeen = new Map<number, number>();
  /** Stages submitted again after an attempt of theirs (a fetch failure or a lost executor). */
  resubmissions = 0;

  /** The stage a `Stage Info` object names, created on first sight. */
  of(info: Json | undefined): StageState {
    const stageId = num(info, "Stage ID");
    const attempt = num(info, "Stage Attempt ID");
    const key = `${stageId}:${attempt}`;
    let state = this.#states.get(key);
    if (!state) {
      state = new StageState(stageId, attempt);
      this.#states.set(key, state);
    }
    return state;
  }

  submitted(stageId: number): void {
    const attempts = this.#attemptsSeen.get(stageId) ?? 0;
    if (attempts > 0) this.resubmissions++;
    if (this.#attemptsSeen.size < 100_000) this.#attemptsSeen.set(stageId, attempts + 1);
  }

  completed(state: StageState): void {
    if (state.finalized) return;
    this.#finished.push(state.finalize());
    this.#prune();
  }

  /** Every stage, finished or not, by stage id and attempt. */
  summaries(): StageSummary[] {
    const stages = [...this.#finished];
    for (const state of this.#states.values()) if (!state.finalized) stages.push(state.finalize());
    return stages.sort((a, b) => a.stageId - b.stageId || a.attempt - b.attempt);
  }

  /** Keeps the stages that cost the most task time once there are too many to keep them all. */
  #prune(): void {
    if (this.#finished.length <= MAX_STAGES_KEPT) return;
    this.#finished.sort((a, b) => b.runMs - a.runMs);
    this.#finished.length = MAX_STAGES_KEPT / 2;
    for (const [key, state] of this.#states) if (state.finalized) this.#states.delete(key);
    for (const s of this.#finished) {
      const state = new StageState(s.stageId, s.attempt);
      Object.assign(state.summary, s);
      state.finalize();
      this.#states.set(`${s.stageId}:${s.attempt}`, state);
    }
  }
}
