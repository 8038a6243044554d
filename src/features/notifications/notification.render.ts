import { assertNever } from "../../shared/errors.ts";
import type { NotificationEvent, NotificationEventType, RenderedNotification } from "./notifications.types.ts";

/** Failed tests listed by name; the rest are counted. Chat messages stay readable and under every service's limits. */
export const MAX_FAILURES_SHOWN = 10;
const MAX_FAILURE_CHARS = 200;
const MAX_FACT_CHARS = 500;

/** `text` cut to `max` code points, ending in "…" when cut. */
export function truncate(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join("")}…`;
}

function headline(type: NotificationEventType): { verb: string; tone: RenderedNotification["tone"]; emoji: string } {
  switch (type) {
    case "approval_requested":
      return { verb: "Approval needed", tone: "accent", emoji: "⏳" };
    case "approval_expired":
      return { verb: "Approval expired", tone: "warning", emoji: "⌛" };
    case "deployment_started":
      return { verb: "Deploying", tone: "accent", emoji: "🚀" };
    case "deployment_succeeded":
      return { verb: "Deployed", tone: "good", emoji: "✅" };
    case "deployment_failed":
      return { verb: "Deployment failed", tone: "attention", emoji: "❌" };
    case "deployment_errored":
      return { verb: "Deployment errored", tone: "attention", emoji: "⚠️" };
    case "gate_failed":
      return { verb: "Quality gates failed", tone: "attention", emoji: "⛔" };
    case "rollback":
      return { verb: "Rollback", tone: "warning", emoji: "↩️" };
    case "freeze_override":
      return { verb: "Freeze overridden", tone: "warning", emoji: "🧊" };
    case "alert_firing":
      return { verb: "Alert firing", tone: "attention", emoji: "🔔" };
    case "alert_resolved":
      return { verb: "Alert resolved", tone: "good", emoji: "✅" };
    case "channel_test":
      return { verb: "Test message (nothing was deployed)", tone: "accent", emoji: "🧪" };
    default:
      return assertNever(type, "notification event");
  }
}

/** "shop 1.4.0 → live": what moves where; parts the event lacks are left out. */
function subjectOf(event: NotificationEvent): string {
  const release = event.release ? ` ${event.release.version}` : "";
  const environment = event.environment ? ` → ${event.environment}` : "";
  return `${event.project.slug}${release}${environment}`;
}

export function titleOf(event: NotificationEvent): string {
  return `${headline(event.type).verb}: ${subjectOf(event)}`;
}

function actorLabel(type: NotificationEventType): string {
  switch (type) {
    case "approval_requested":
      return "Requested by";
    case "freeze_override":
      return "Overridden by";
    case "rollback":
      return "Rolled back by";
    case "channel_test":
      return "Sent by";
    default:
      return "By";
  }
}

/** One decimal, no trailing ".0": 84.25 → "84.3", 80 → "80". */
export function formatPercent(value: number): string {
  return String(Math.round(value * 10) / 10);
}

/** "+0.4", "-1.2"; "±0" when it rounds to nothing. */
export function formatDelta(delta: number): string {
  const rounded = (Math.sign(delta) * Math.round(Math.abs(delta) * 10)) / 10;
  if (rounded === 0) return "±0";
  return rounded > 0 ? `+${rounded}` : String(rounded);
}

function testsLine(tests: NonNullable<NotificationEvent["evidence"]>["tests"]): string | null {
  if (!tests) return null;
  if (tests.total === 0) return "no tests";
  const parts = [`${tests.passed} passed`];
  if (tests.failed > 0) parts.push(`${tests.failed} failed`);
  if (tests.skipped > 0) parts.push(`${tests.skipped} skipped`);
  if (tests.flaky > 0) parts.push(`${tests.flaky} flaky`);
  return `${parts.join(" · ")} (${tests.total} total)`;
}

function coverageLine(coverage: NonNullable<NotificationEvent["evidence"]>["coverage"]): string | null {
  if (!coverage || coverage.lines === null) return null;
  const delta = coverage.delta === null ? "" : ` (${formatDelta(coverage.delta)})`;
  return `${formatPercent(coverage.lines)}% of lines${delta}`;
}

function isHttpUrl(url: string | undefined): url is string {
  if (!url) return false;
  try {
    const { protocol } = new URL(url);
    return protocol === "https:" || protocol === "http:";
  } catch {
    return false;
  }
}

function factsOf(event: NotificationEvent): RenderedNotification["facts"] {
  const facts: RenderedNotification["facts"] = [];
  const add = (label: string, value: string | null | undefined) => {
    if (value) facts.push({ label, value: truncate(value, MAX_FACT_CHARS) });
  };
  const { project, release, deployment, evidence } = event;
  add("Project", project.name === project.slug ? project.slug : `${project.name} (${project.slug})`);
  add("Release", release?.version);
  if (release) add("Commit", `${release.commitSha.slice(0, 7)} on ${release.branch}`);
  add("Environment", event.environment);
  add(actorLabel(event.type), event.actor);
  if (release?.createdBy && release.createdBy !== event.actor) add("Released by", release.createdBy);
  if (deployment) add("Deployment", `${deployment.kind} ${deployment.id}: ${deployment.status}`);
  add("Reason", deployment?.reason);
  if (evidence?.previousRelease !== undefined) add("Previous release", evidence.previousRelease ?? "none (first deployment)");
  add("Took", evidence?.succeededIn);
  if (event.alert) {
    add("Run", `${event.alert.run.name} (${event.alert.run.id})`);
    add("Alert", `${event.alert.rule} (${event.alert.severity}): ${event.alert.message}`);
  }
  return facts;
}

/** Plain content of a notification, independent of where it goes. Pure: the same event always renders the same. */
export function renderNotification(event: NotificationEvent): RenderedNotification {
  const { verb, tone, emoji } = headline(event.type);
  const title = `${verb}: ${subjectOf(event)}`;
  const failures = event.evidence?.failures ?? [];
  const shown = failures.slice(0, MAX_FAILURES_SHOWN).map((name) => truncate(name, MAX_FAILURE_CHARS));
  // The stored list may have been cut short; the test totals still know how many failed.
  const links: RenderedNotification["links"] = [];
  if (isHttpUrl(event.links.view)) links.push({ kind: "view", label: "Open in stagegate", url: event.links.view });
  if (isHttpUrl(event.links.approve)) links.push({ kind: "approve", label: "Approve…", url: event.links.approve });
  if (isHttpUrl(event.links.reject)) links.push({ kind: "reject", label: "Reject…", url: event.links.reject });
  return {
    event: event.type,
    tone,
    emoji,
    title,
    summary: event.actor ? `${title} (${actorLabel(event.type).toLowerCase()} ${event.actor})` : title,
    facts: factsOf(event),
    tests: testsLine(event.evidence?.tests),
    coverage: coverageLine(event.evidence?.coverage),
    failures: {
      shown,
      more: shown.length === 0 ? 0 : Math.max(failures.length, event.evidence?.tests?.failed ?? 0) - shown.length,
    },
    gates: (event.evidence?.gates ?? []).map((gate) => ({ ...gate, message: truncate(gate.message, MAX_FAILURE_CHARS) })),
    links,
  };
}
