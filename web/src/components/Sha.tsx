import { useState } from "react";

/** A short commit sha in monospace with a copy button. */
export function Sha({ sha }: { sha: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <span className="chips" style={{ display: "inline-flex", gap: 2 }}>
      <code title={sha}>{sha.slice(0, 8)}</code>
      <button
        type="button"
        className="ghost small"
        aria-label={`Copy commit ${sha}`}
        onClick={() => {
          void navigator.clipboard?.writeText(sha).then(() => {
            setCopied(true);
            setTimeout(() => setCopied(false), 1500);
          });
        }}
      >
        {copied ? (
          "Copied"
        ) : (
          <svg width="14" height="14" viewBox="0 0 16 16" fill="none" stroke="currentColor" strokeWidth="1.5" aria-hidden="true">
            <rect x="5" y="5" width="9" height="9" rx="1.5" />
            <path d="M11 5V3.5A1.5 1.5 0 0 0 9.5 2h-6A1.5 1.5 0 0 0 2 3.5v6A1.5 1.5 0 0 0 3.5 11H5" />
          </svg>
        )}
      </button>
    </span>
  );
}
