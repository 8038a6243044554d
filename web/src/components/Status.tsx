import type { ReactNode } from "react";

export type Tone = "ok" | "bad" | "warn" | "info" | "attention" | "muted";

const LABELS: Record<string, string> = {
  pending_gates: "Checking gates",
  pending_approval: "Awaiting approval",
  queued: "Queued",
  running: "Running",
  succeeded: "Succeeded",
  failed: "Failed",
  errored: "Errored",
  rejected: "Rejected",
  expired: "Expired",
  cancelled: "Cancelled",
  superseded: "Superseded",
  passed: "Passed",
  skipped: "Skipped",
  flaky: "Flaky",
  open: "Uploading",
  complete: "Complete",
  delivered: "Delivered",
  pending: "Pending",
  dead: "Dead",
  none: "Not deployed",
};

/** One status language everywhere (docs: UI.md "Status language"): an icon and a word, never colour alone. */
export function toneOf(status: string): Tone {
  switch (status) {
    case "succeeded":
    case "passed":
    case "complete":
    case "delivered":
      return "ok";
    case "failed":
    case "rejected":
    case "dead":
      return "bad";
    case "errored":
    case "expired":
    case "flaky":
      return "warn";
    case "running":
    case "queued":
    case "pending_gates":
    case "open":
    case "pending":
      return "info";
    case "pending_approval":
      return "attention";
    default:
      return "muted";
  }
}

export const labelOf = (status: string) => LABELS[status] ?? status.replace(/_/g, " ");

function Icon({ status }: { status: string }) {
  const common = {
    width: 14,
    height: 14,
    viewBox: "0 0 16 16",
    fill: "none",
    stroke: "currentColor",
    strokeWidth: 1.8,
  } as const;
  switch (status) {
    case "succeeded":
    case "passed":
    case "complete":
    case "delivered":
      return (
        <svg aria-hidden="true" {...common}>
          <circle cx="8" cy="8" r="6.5" />
          <path d="M5 8.2l2 2 4-4.2" />
        </svg>
      );
    case "failed":
    case "rejected":
    case "dead":
      return (
        <svg aria-hidden="true" {...common}>
          <circle cx="8" cy="8" r="6.5" />
          <path d="M5.5 5.5l5 5M10.5 5.5l-5 5" />
        </svg>
      );
    case "errored":
    case "expired":
    case "flaky":
      return (
        <svg aria-hidden="true" {...common}>
          <path d="M8 1.8L14.6 13.5H1.4z" strokeLinejoin="round" />
          <path d="M8 6.2v3.4M8 11.4v.2" />
        </svg>
      );
    case "running":
    case "open":
      return (
        <svg aria-hidden="true" {...common} className="spin">
          <path d="M8 1.5a6.5 6.5 0 1 1-6.5 6.5" />
        </svg>
      );
    case "queued":
    case "pending_gates":
    case "pending":
      return (
        <svg aria-hidden="true" {...common}>
          <circle cx="8" cy="8" r="6.5" />
          <path d="M8 4.5V8l2.5 1.5" />
        </svg>
      );
    case "pending_approval":
      return (
        <svg aria-hidden="true" {...common}>
          <circle cx="6" cy="5" r="2.5" />
          <path d="M1.5 14c0-2.8 2-4.5 4.5-4.5" />
          <circle cx="11.5" cy="11" r="3.2" />
          <path d="M11.5 9.6V11l1 .7" />
        </svg>
      );
    case "superseded":
      return (
        <svg aria-hidden="true" {...common}>
          <path d="M2 8h11M9.5 4.5L13 8l-3.5 3.5" />
        </svg>
      );
    default:
      return (
        <svg aria-hidden="true" {...common}>
          <path d="M3.5 8h9" />
        </svg>
      );
  }
}

export function Status({ status, children }: { status: string; children?: ReactNode }) {
  return (
    <span className={`status ${toneOf(status)}`} data-status={status}>
      <Icon status={status} />
      {children ?? labelOf(status)}
    </span>
  );
}

export function StatusChip({ status, children, title }: { status: string; children?: ReactNode; title?: string }) {
  return (
    <span className={`chip ${toneOf(status)}`} title={title}>
      {children}
      <Status status={status} />
    </span>
  );
}
