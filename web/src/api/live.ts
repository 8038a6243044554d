import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useSyncExternalStore } from "react";

/** The queries that show deployments: refetched after any action on one. */
export const DEPLOYMENT_KEYS = [
  "matrix",
  "release",
  "readiness",
  "deployments",
  "deployment",
  "approvals",
  "approval",
  "environments",
  "project-summaries",
  "dora",
] as const;

/** The queries a deployment, approval or report change can make stale. */
const LIVE_KEYS = [...DEPLOYMENT_KEYS, "gates", "commit-report", "report-runs"] as const;

interface Stream {
  source: EventSource;
  users: number;
  open: boolean;
}

const streams = new Map<string, Stream>();
const watchers = new Set<() => void>();
const notify = () => {
  for (const watcher of watchers) watcher();
};

/** Whether a project's live stream is up: polling hooks then only poll as a slow safety net. */
export function isLive(): boolean {
  for (const stream of streams.values()) if (stream.open) return true;
  return false;
}

/** A polling interval that steps back while the live stream carries the changes. */
export const poll = (fallbackMs: number, liveMs = 30_000) => (isLive() ? liveMs : fallbackMs);

/**
 * Keeps the project's event stream (`/api/v1/projects/{slug}/events`) open while a page that shows it is mounted, and
 * refetches what a change touches. When the stream is down (server restart, proxy without SSE) the hooks fall back to
 * polling; when it comes back, everything is refetched once to catch up.
 */
export function useLiveUpdates(slug: string | undefined): boolean {
  const client = useQueryClient();
  useEffect(() => {
    if (!slug || typeof EventSource === "undefined") return;
    let stream = streams.get(slug);
    if (!stream) {
      const source = new EventSource(`/api/v1/projects/${encodeURIComponent(slug)}/events`, { withCredentials: true });
      const created: Stream = { source, users: 0, open: false };
      let pending: ReturnType<typeof setTimeout> | undefined;
      const refresh = () => {
        // A burst of changes (queued, running, succeeded) becomes one round of refetches.
        clearTimeout(pending);
        pending = setTimeout(() => {
          for (const key of LIVE_KEYS) void client.invalidateQueries({ queryKey: [key] });
        }, 100);
      };
      source.addEventListener("ready", () => {
        created.open = true;
        notify();
        refresh();
      });
      source.addEventListener("change", refresh);
      source.addEventListener("error", () => {
        if (!created.open) return;
        created.open = false;
        notify();
        refresh(); // back to polling at once, not after the slow interval
      });
      streams.set(slug, created);
      stream = created;
    }
    stream.users += 1;
    const mine = stream;
    return () => {
      mine.users -= 1;
      if (mine.users > 0) return;
      mine.source.close();
      streams.delete(slug);
      notify();
    };
  }, [slug, client]);
  return useSyncExternalStore(
    (watch) => {
      watchers.add(watch);
      return () => watchers.delete(watch);
    },
    () => (slug ? (streams.get(slug)?.open ?? false) : false),
  );
}
