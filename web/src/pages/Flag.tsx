import { useEffect, useState } from "react";
import { Link, useParams } from "react-router";
import { isChangeRequest, useFlag, useFlagHistory, useRolloutFlag } from "../api/flags.ts";
import { useMyRole } from "../api/hooks.ts";
import { Confirm } from "../components/Confirm.tsx";
import { Query } from "../components/States.tsx";
import { RelTime } from "../components/Time.tsx";
import { can } from "../roles.ts";
import { PendingFlagChanges } from "./FlagChanges.tsx";
import { serves } from "./Flags.tsx";

const show = (value: unknown) => (value === null || value === undefined ? "–" : JSON.stringify(value));

export default function FlagPage() {
  const { slug = "", key = "" } = useParams();
  const flag = useFlag(slug, key);
  const role = useMyRole(slug).data?.role;
  const rollout = useRolloutFlag(slug);
  const envNames = Object.keys(flag.data?.environments ?? {});
  const [env, setEnv] = useState<string>("");
  const [percentage, setPercentage] = useState("10");
  const [confirming, setConfirming] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const historyEnv = env || envNames[0];
  const history = useFlagHistory(slug, historyEnv);
  useEffect(() => {
    document.title = `${key} · Flags · ${slug} · stagegate`;
  }, [slug, key]);

  return (
    <>
      <div className="page-head">
        <div className="title">
          <h1>{key}</h1>
          <div className="meta">
            <Link to={`/p/${slug}/flags`}>Flags</Link> · {flag.data?.type} · {flag.data?.description}
          </div>
        </div>
      </div>
      {notice ? (
        <p role="status" className="card">
          {notice}
        </p>
      ) : null}
      <PendingFlagChanges slug={slug} flag={key} />
      <Query query={flag} label="Loading the flag">
        {(f) => (
          <div className="table-wrap">
            <table aria-label={`State of ${key} per environment`}>
              <thead>
                <tr>
                  <th>Environment</th>
                  <th>Serves</th>
                  <th>Default / off variant</th>
                  <th>Rules</th>
                  <th>Changed</th>
                </tr>
              </thead>
              <tbody>
                {Object.entries(f.environments).map(([name, state]) => (
                  <tr key={name}>
                    <td className="mono">{name}</td>
                    <td>{serves(state)}</td>
                    <td className="mono">
                      {state.defaultVariant} / {state.offVariant}
                    </td>
                    <td>{state.rules.length}</td>
                    <td>
                      <RelTime at={state.updatedAt} /> {state.updatedBy ? `by ${state.updatedBy}` : ""}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Query>
      <fieldset className="toolbar" style={{ border: 0, padding: 0, margin: "12px 0" }}>
        <legend className="sr-only">Environment</legend>
        <label htmlFor="flag-env">Environment</label>
        <select id="flag-env" value={historyEnv ?? ""} onChange={(e) => setEnv(e.target.value)}>
          {envNames.map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </select>
        {can.promote(role) ? (
          <>
            <label htmlFor="flag-pct">Rollout percentage</label>
            <input
              id="flag-pct"
              type="number"
              min={0}
              max={100}
              step={0.01}
              value={percentage}
              onChange={(e) => setPercentage(e.target.value)}
            />
            <button type="button" className="primary small" onClick={() => setConfirming(true)}>
              Roll out
            </button>
          </>
        ) : null}
      </fieldset>
      {confirming && historyEnv ? (
        <Confirm
          title={`Roll out ${key} to ${percentage} %`}
          environment={historyEnv}
          current={serves(flag.data?.environments[historyEnv])}
          next={`on ${percentage} %`}
          confirmLabel="Roll out"
          comment="optional"
          commentLabel="Reason"
          onConfirm={async (reason) => {
            const result = await rollout.mutateAsync({ env: historyEnv, key, percentage: Number(percentage), reason });
            setNotice(
              isChangeRequest(result)
                ? `${historyEnv} needs approval: change ${result.id} waits for approvers.`
                : `${key} rolled out to ${percentage} % in ${historyEnv}.`,
            );
          }}
          onClose={() => setConfirming(false)}
        />
      ) : null}
      <section className="card" aria-labelledby="flag-history">
        <h2 id="flag-history">History of {historyEnv}</h2>
        <Query query={history} label="Loading history">
          {(page) => (
            <ol aria-label={`Flag-set versions of ${historyEnv ?? ""}`}>
              {page.items
                .filter((v) => v.changes.some((c) => c.flag === key))
                .map((v) => (
                  <li key={v.version}>
                    <strong className="mono">v{v.version}</strong> · {v.actor} · <RelTime at={v.createdAt} />
                    {v.reason ? ` · ${v.reason}` : ""}
                    <ul>
                      {v.changes
                        .filter((c) => c.flag === key)
                        .flatMap((c) => Object.entries(c.fields))
                        .map(([field, { before, after }]) => (
                          <li key={field} className="mono">
                            {field}: {show(before)} → {show(after)}
                          </li>
                        ))}
                    </ul>
                  </li>
                ))}
            </ol>
          )}
        </Query>
      </section>
    </>
  );
}
