import type { Kysely } from "kysely";
import type { Database } from "../../db/schema.ts";
import type { Clock } from "../../shared/clock.ts";
import { type CompiledFlagSet, compileFlagSet } from "../../shared/flags/evaluator.ts";
import type { FlagSet } from "../../shared/flags/flags.types.ts";
import type { VersionFeed } from "./flags.notify.ts";
import * as store from "./flags.store.ts";

/**
 * What OFREP and the SDK endpoints serve: the current flag-set version of an environment, compiled once per version and
 * cached. Changes reach this process two ways: `versionWritten` from this process's own commits (at once), and for
 * versions written elsewhere either the database's push (`feed`: LISTEN/NOTIFY on PostgreSQL, so every replica hears
 * of a commit at once and cached versions stay valid until told otherwise) or, on SQLite and while the feed is down, a
 * watcher that polls the newest version of every environment someone is looking at every `watchMs`.
 */
export interface ServedFlagSet {
  environmentId: string;
  version: number;
  set: FlagSet;
  compiled: CompiledFlagSet;
  /** Strong ETag of this version, e.g. `"7"`. */
  etag: string;
}

export type VersionListener = (version: number) => void;

export interface FlagServing {
  current(environmentId: string): Promise<ServedFlagSet>;
  /** Calls `listener` with each new version of the environment; returns the unsubscribe function. */
  subscribe(environmentId: string, listener: VersionListener): () => void;
  /** Called after a commit in this process. */
  versionWritten(environmentId: string, version: number): void;
  /** Remembers that flags were evaluated (written to the database at most every `flushMs`, for the stale report). */
  evaluated(environmentId: string, keys: Iterable<string>): void;
  subscriberCount(): number;
  close(): Promise<void>;
}

export function createFlagServing(deps: {
  db: Kysely<Database>;
  clock: Clock;
  /** How often the watcher and a cached version re-check the database; default 500 ms. */
  watchMs?: number;
  flushMs?: number;
  /** Pushed versions (PostgreSQL LISTEN/NOTIFY); without it, the watcher polls. */
  feed?: VersionFeed;
}): FlagServing {
  const { db, clock } = deps;
  const watchMs = deps.watchMs ?? 500;
  const flushMs = deps.flushMs ?? 30_000;
  const cache = new Map<string, { served: ServedFlagSet; checkedAt: number }>();
  const loading = new Map<string, Promise<ServedFlagSet>>();
  const listeners = new Map<string, Set<VersionListener>>();
  const known = new Map<string, number>();
  const seen = new Map<string, Set<string>>();
  let watcher: NodeJS.Timeout | undefined;
  let flusher: NodeJS.Timeout | undefined;
  let closed = false;
  /** The feed is listening: every commit anywhere reaches `pushed`, so no polling and no re-checking of cached sets. */
  let live = false;

  async function load(environmentId: string): Promise<ServedFlagSet> {
    const latest = await store.latestVersion(db, environmentId);
    const set: FlagSet = latest?.snapshot ?? { project: "", environment: "", version: 0, flags: {}, segments: {} };
    const version = latest?.version ?? 0;
    const served = { environmentId, version, set, compiled: compileFlagSet(set), etag: `"${version}"` };
    cache.set(environmentId, { served, checkedAt: Date.now() });
    if ((known.get(environmentId) ?? -1) < version) known.set(environmentId, version);
    return served;
  }

  function loadOnce(environmentId: string): Promise<ServedFlagSet> {
    const pending = loading.get(environmentId);
    if (pending) return pending;
    const promise = load(environmentId).finally(() => loading.delete(environmentId));
    loading.set(environmentId, promise);
    return promise;
  }

  async function current(environmentId: string): Promise<ServedFlagSet> {
    const hit = cache.get(environmentId);
    if (hit && hit.served.version >= (known.get(environmentId) ?? 0)) {
      if (live || Date.now() - hit.checkedAt < watchMs || listeners.has(environmentId)) return hit.served;
      const newest = (await store.currentVersions(db, [environmentId])).get(environmentId) ?? 0;
      if (newest === hit.served.version) {
        hit.checkedAt = Date.now();
        return hit.served;
      }
    }
    return loadOnce(environmentId);
  }

  function announce(environmentId: string, version: number): void {
    if ((known.get(environmentId) ?? -1) >= version) return;
    known.set(environmentId, version);
    for (const listener of listeners.get(environmentId) ?? []) listener(version);
  }

  async function watch(): Promise<void> {
    const ids = [...listeners.keys()];
    if (ids.length === 0) return;
    const versions = await store.currentVersions(db, ids);
    for (const [id, version] of versions) announce(id, version);
  }

  function stopWatcher(): void {
    if (watcher) clearInterval(watcher);
    watcher = undefined;
  }

  function startWatcher(): void {
    if (watcher || closed || live) return;
    watcher = setInterval(() => {
      watch().catch(() => {
        // The database is away for a moment: subscribers keep their version and the next tick tries again.
      });
    }, watchMs);
    watcher.unref();
  }

  deps.feed?.start({
    version(environmentId, version) {
      const hit = cache.get(environmentId);
      if (hit && hit.served.version < version) cache.delete(environmentId);
      announce(environmentId, version);
    },
    live(up) {
      live = up && !closed;
      if (live) {
        stopWatcher();
        // Catch up on what was committed while not listening; cached sets may be stale too.
        cache.clear();
        watch().catch(() => undefined);
      } else if (listeners.size > 0) startWatcher();
    },
  });

  async function flush(): Promise<void> {
    if (seen.size === 0) return;
    const at = clock.now().toISOString();
    const rows = [...seen].flatMap(([environmentId, keys]) => [...keys].map((flagKey) => ({ environmentId, flagKey, at })));
    seen.clear();
    await store.touchEvaluations(db, rows);
  }

  return {
    current,
    subscribe(environmentId, listener) {
      let set = listeners.get(environmentId);
      if (!set) {
        set = new Set();
        listeners.set(environmentId, set);
      }
      set.add(listener);
      startWatcher();
      return () => {
        set.delete(listener);
        if (set.size === 0) listeners.delete(environmentId);
        if (listeners.size === 0) stopWatcher();
      };
    },
    versionWritten(environmentId, version) {
      cache.delete(environmentId);
      announce(environmentId, version);
    },
    evaluated(environmentId, keys) {
      let set = seen.get(environmentId);
      if (!set) {
        set = new Set();
        seen.set(environmentId, set);
      }
      for (const key of keys) set.add(key);
      if (!flusher && !closed) {
        flusher = setTimeout(() => {
          flusher = undefined;
          flush().catch(() => {
            // Best effort: the stale report may show a flag as not evaluated for one more interval.
          });
        }, flushMs);
        flusher.unref();
      }
    },
    subscriberCount: () => [...listeners.values()].reduce((n, s) => n + s.size, 0),
    async close() {
      closed = true;
      live = false;
      stopWatcher();
      if (flusher) clearTimeout(flusher);
      flusher = undefined;
      await deps.feed?.close();
      await flush().catch(() => undefined);
    },
  };
}
