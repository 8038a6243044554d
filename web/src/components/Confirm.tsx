import { type ReactNode, useRef, useState } from "react";
import { ApiError } from "../api/client.ts";
import { Dialog } from "./Dialog.tsx";

/**
 * The confirm dialog of a production or destructive action: it names the environment and what runs there now (what
 * will be replaced). Focus lands on the confirm button only once that is on screen, so Enter confirms a known target.
 */
export function Confirm(props: {
  title: string;
  environment: string;
  current: ReactNode;
  next: ReactNode;
  confirmLabel: string;
  tone?: "primary" | "danger" | "ok";
  comment?: "optional" | "required";
  /** What the comment field is called ("Comment" by default), and the fewest characters a required one needs. */
  commentLabel?: string;
  minComment?: number;
  children?: ReactNode;
  onConfirm: (comment: string) => Promise<unknown>;
  onClose: () => void;
}) {
  const [comment, setComment] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const confirm = useRef<HTMLButtonElement>(null);
  const commentId = useRef(`c-${Math.random().toString(36).slice(2)}`).current;

  const run = async () => {
    const least = props.minComment ?? 1;
    if (props.comment === "required" && comment.trim().length < least) {
      setError(
        `Write why${least > 1 ? ` (at least ${least} characters)` : ""}: it goes to the people who asked and to the audit log.`,
      );
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await props.onConfirm(comment.trim());
      props.onClose();
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.message : String(caught));
      setBusy(false);
    }
  };

  return (
    <Dialog title={props.title} onClose={props.onClose} initialFocus={props.comment === "required" ? undefined : confirm}>
      <div className="replace">
        <dl className="kv">
          <dt>Environment</dt>
          <dd>
            <strong className="mono">{props.environment}</strong>
          </dd>
          <dt>Runs there now</dt>
          <dd>{props.current}</dd>
          <dt>After this</dt>
          <dd>{props.next}</dd>
        </dl>
      </div>
      {props.children}
      {props.comment ? (
        <div className="field">
          <label htmlFor={commentId}>
            {props.commentLabel ?? "Comment"} {props.comment === "required" ? "(required)" : "(optional)"}
          </label>
          <textarea
            id={commentId}
            rows={3}
            value={comment}
            onChange={(e) => {
              setComment(e.target.value);
              setError(null);
            }}
          />
        </div>
      ) : null}
      {error ? (
        <p role="alert" className="error-text">
          {error}
        </p>
      ) : null}
      <div className="buttons">
        <button type="button" onClick={props.onClose}>
          Cancel
        </button>
        <button ref={confirm} type="button" className={props.tone ?? "primary"} onClick={() => void run()} disabled={busy}>
          {busy ? "Working…" : props.confirmLabel}
        </button>
      </div>
    </Dialog>
  );
}
