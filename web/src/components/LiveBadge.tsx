/** Says whether the page updates by itself or by polling (for people, and for tests selecting by role). */
export function LiveBadge({ live }: { live: boolean }) {
  return (
    <span
      role="status"
      aria-label={live ? "Live updates" : "Polling for updates"}
      className="muted"
      title={live ? "Changes arrive as they happen" : "The live stream is down: refreshing every few seconds"}
    >
      {live ? "● live" : "○ polling"}
    </span>
  );
}
