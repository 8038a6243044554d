import { type ButtonHTMLAttributes, useId } from "react";

/**
 * A button that, when it cannot be used, stays visible but disabled and says why next to itself (and to screen readers
 * through aria-describedby) — freeze, lifecycle, gate, lock.
 */
export function ActionButton(props: ButtonHTMLAttributes<HTMLButtonElement> & { why?: string | null | undefined }) {
  const { why, ...rest } = props;
  const id = useId();
  const disabled = Boolean(why) || rest.disabled;
  return (
    <span style={{ display: "inline-flex", flexDirection: "column", gap: 2, minWidth: 0 }}>
      <button type="button" {...rest} disabled={disabled} aria-describedby={why ? id : undefined} title={why ?? rest.title} />
      {why ? (
        <span id={id} className="why">
          {why}
        </span>
      ) : null}
    </span>
  );
}
