/** What a project's live stream tells the dashboard: something changed; `reason` says what, as far as we know. */
export interface ProjectChange {
  /** A notification event type ("deployment_succeeded") or an audit action ("approval.granted"). */
  reason: string;
  deploymentId?: string;
  /** The project's newest audit seq when known: clients may skip a change they already saw. */
  seq?: number;
}

export type ChangeListener = (change: ProjectChange) => void;

export interface ProjectEventsDeps {
  /** The project's newest audit seq (null: none yet). Every state change writes one in its own transaction. */
  headOf: (projectId: string) => Promise<number | null>;
  /** How often watched projects are re-checked, for changes made by other replicas or processes; default 1000 ms. */
  watchMs?: number;
  onError?: (error: unknown) => void;
}

/**
 * Fan-out of project changes to live streams. Two sources: `nudge` from this process's own event points (a deployment
 * moved, an approval was asked), and a watcher of the audit head of every project someone is watching, which also sees
 * changes committed by other replicas. A nudge is called inside the change's transaction, so it only schedules early
 * head checks: listeners hear of a change once it is committed and readable, never before.
 */
export function createProjectEvents(deps: ProjectEventsDeps) {
  const watchMs = deps.watchMs ?? 1_000;
  const listeners = new Map<string, Set<ChangeListener>>();
  const heads = new Map<string, number | null>();
  const pending = new Map<string, ProjectChange[]>();
  const timers = new Set<NodeJS.Timeout>();
  let watcher: NodeJS.Timeout | undefined;
  let closed = false;

  function emit(projectId: string, change: ProjectChange): void {
    for (const listener of listeners.get(projectId) ?? []) {
      try {
        listener(change);
      } catch (error) {
        deps.onError?.(error);
      }
    }
  }

  async function check(projectId: string): Promise<void> {
    if (!listeners.has(projectId)) return;
    let head: number | null;
    try {
      head = await deps.headOf(projectId);
    } catch (error) {
      // The database is away for a moment: the next tick tries again.
      deps.onError?.(error);
      return;
    }
    const known = heads.get(projectId);
    heads.set(projectId, head);
    if (known === undefined || known === head) return;
    const nudged = pending.get(projectId) ?? [];
    pending.delete(projectId);
    const seq = head === null ? {} : { seq: head };
    if (nudged.length === 0) emit(projectId, { reason: "changed", ...seq });
    for (const change of nudged) emit(projectId, { ...change, ...seq });
  }

  function later(ms: number, run: () => void): void {
    const timer = setTimeout(() => {
      timers.delete(timer);
      run();
    }, ms);
    timer.unref();
    timers.add(timer);
  }

  function startWatcher(): void {
    if (watcher || closed) return;
    watcher = setInterval(() => {
      for (const projectId of listeners.keys()) void check(projectId);
    }, watchMs);
    watcher.unref();
  }

  return {
    /** Calls `listener` with each change of the project; returns the unsubscribe function. */
    subscribe(projectId: string, listener: ChangeListener): () => void {
      let set = listeners.get(projectId);
      if (!set) {
        set = new Set();
        listeners.set(projectId, set);
        void check(projectId);
      }
      set.add(listener);
      startWatcher();
      return () => {
        const current = listeners.get(projectId);
        current?.delete(listener);
        if (current && current.size === 0) {
          listeners.delete(projectId);
          heads.delete(projectId);
          pending.delete(projectId);
        }
        if (listeners.size === 0 && watcher) {
          clearInterval(watcher);
          watcher = undefined;
        }
      };
    },

    /** This process changed the project (maybe not committed yet): look again soon rather than at the next tick. */
    nudge(projectId: string, change: ProjectChange): void {
      if (!listeners.has(projectId) || closed) return;
      pending.set(projectId, [...(pending.get(projectId) ?? []), change]);
      for (const ms of [30, 250]) later(ms, () => void check(projectId));
      // Some changes write no audit event (a deployment starting to run): told anyway, once its transaction is surely over.
      later(1_000, () => {
        const waiting = pending.get(projectId) ?? [];
        if (!waiting.includes(change)) return;
        const rest = waiting.filter((c) => c !== change);
        if (rest.length) pending.set(projectId, rest);
        else pending.delete(projectId);
        emit(projectId, change);
      });
    },

    subscriberCount(): number {
      return [...listeners.values()].reduce((n, set) => n + set.size, 0);
    },

    close(): void {
      closed = true;
      if (watcher) clearInterval(watcher);
      watcher = undefined;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      listeners.clear();
    },
  };
}

export type ProjectEvents = ReturnType<typeof createProjectEvents>;
