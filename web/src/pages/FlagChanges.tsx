import { useState } from "react";
import { type FlagChangeRequest, useDecideFlagChange, useFlagChanges } from "../api/flags.ts";
import { useMyRole } from "../api/hooks.ts";
import { Confirm } from "../components/Confirm.tsx";
import { RelTime } from "../components/Time.tsx";
import { can } from "../roles.ts";

/** Scheduled changes and changes waiting for approval (of one flag when `flag` is given), with their actions. */
export function PendingFlagChanges({ slug, flag }: { slug: string; flag?: string }) {
  const changes = useFlagChanges(slug);
  const role = useMyRole(slug).data?.role;
  const decide = useDecideFlagChange(slug);
  const [dialog, setDialog] = useState<{ change: FlagChangeRequest; verb: "approve" | "reject" } | null>(null);
  const open = (changes.data?.items ?? []).filter(
    (c) =>
      (c.status === "pending_approval" || c.status === "scheduled") &&
      (flag === undefined || c.patches.some((p) => p.flag === flag)),
  );
  if (open.length === 0) return null;
  return (
    <section className="card" aria-labelledby="pending-flag-changes">
      <h2 id="pending-flag-changes">Pending flag changes</h2>
      <div className="table-wrap">
        <table aria-label="Pending flag changes">
          <thead>
            <tr>
              <th>Change</th>
              <th>Environment</th>
              <th>What</th>
              <th>Status</th>
              <th>By</th>
              <th>Actions</th>
            </tr>
          </thead>
          <tbody>
            {open.map((c) => (
              <tr key={c.id}>
                <td className="mono">{c.id}</td>
                <td className="mono">{c.environment}</td>
                <td>
                  {c.patches.map((p) => (
                    <div key={p.flag}>
                      <span className="mono">{p.flag}</span> {describePatch(p.patch)}
                    </div>
                  ))}
                </td>
                <td>
                  {c.status === "scheduled" ? (
                    <>
                      Scheduled for <RelTime at={c.applyAt} />
                    </>
                  ) : (
                    <>Awaiting approval · {c.approval?.groups.map((g) => `${g.approvedBy.length} of ${g.required}`).join(", ")}</>
                  )}
                </td>
                <td>
                  {c.author} · <RelTime at={c.createdAt} />
                </td>
                <td>
                  {c.status === "pending_approval" && can.approve(role) ? (
                    <>
                      <button type="button" className="ok small" onClick={() => setDialog({ change: c, verb: "approve" })}>
                        Approve {c.id}
                      </button>{" "}
                      <button type="button" className="small" onClick={() => setDialog({ change: c, verb: "reject" })}>
                        Reject {c.id}
                      </button>{" "}
                    </>
                  ) : null}
                  {can.promote(role) ? (
                    <button type="button" className="small" onClick={() => decide.mutate({ id: c.id, verb: "cancel" })}>
                      Cancel {c.id}
                    </button>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {dialog ? (
        <Confirm
          title={`${dialog.verb === "approve" ? "Approve" : "Reject"} flag change ${dialog.change.id}`}
          environment={dialog.change.environment}
          current={`requested by ${dialog.change.author}${dialog.change.reason ? `: ${dialog.change.reason}` : ""}`}
          next={dialog.change.patches.map((p) => `${p.flag} ${describePatch(p.patch)}`).join("; ")}
          confirmLabel={dialog.verb === "approve" ? "Approve" : "Reject"}
          tone={dialog.verb === "approve" ? "ok" : "danger"}
          comment={dialog.verb === "reject" ? "required" : "optional"}
          onConfirm={(comment) => decide.mutateAsync({ id: dialog.change.id, verb: dialog.verb, comment })}
          onClose={() => setDialog(null)}
        />
      ) : null}
    </section>
  );
}

/** "on", "off", "on 10 %", "rules ×2" … in a few words. */
export function describePatch(patch: FlagChangeRequest["patches"][number]["patch"]): string {
  const parts: string[] = [];
  if (patch.enabled !== undefined) parts.push(patch.enabled ? "on" : "off");
  if (patch.rollout) parts.push(patch.rollout.weights.map((w) => `${w.variant} ${w.weight} %`).join(" / "));
  if (patch.rollout === null) parts.push("no rollout");
  if (patch.defaultVariant) parts.push(`default ${patch.defaultVariant}`);
  if (patch.offVariant) parts.push(`off variant ${patch.offVariant}`);
  if (patch.rules) parts.push(`${patch.rules.length} rule(s)`);
  return parts.join(", ");
}
