import { useEffect, useState } from "react";
import { Link, useParams } from "react-router";
import { type Flag, isChangeRequest, useFlagHistory, useFlags, useToggleFlag } from "../api/flags.ts";
import { useEnvironments, useMyRole } from "../api/hooks.ts";
import { Confirm } from "../components/Confirm.tsx";
import { Empty, Query } from "../components/States.tsx";
import { can } from "../roles.ts";
import { PendingFlagChanges } from "./FlagChanges.tsx";

type EnvState = Flag["environments"][string];

/** What an environment serves, in words: "off", "on", "on 10 %". */
export function serves(state: EnvState | undefined): string {
  if (!state?.enabled) return "off";
  const share = state.rollout?.weights.find((w) => w.variant !== state.offVariant);
  if (state.rollout && share) return `on ${share.weight} %`;
  return "on";
}

function EnvVersion({ slug, env }: { slug: string; env: string }) {
  const version = useFlagHistory(slug, env, 1).data?.items[0]?.version;
  return <span className="meta mono">{version === undefined ? "" : ` v${version}`}</span>;
}

export default function Flags() {
  const { slug = "" } = useParams();
  const flags = useFlags(slug);
  const envs = useEnvironments(slug);
  const role = useMyRole(slug).data?.role;
  const toggle = useToggleFlag(slug);
  const [dialog, setDialog] = useState<{ flag: Flag; env: string } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  useEffect(() => {
    document.title = `Flags · ${slug} · stagegate`;
  }, [slug]);
  const names = envs.data?.items.map((e) => e.name) ?? [];

  return (
    <>
      <div className="page-head">
        <div className="title">
          <h1>Flags</h1>
          <div className="meta">Feature flags of {slug}: what each environment serves, its version, and who changed it.</div>
        </div>
      </div>
      {notice ? (
        <p role="status" className="card">
          {notice}
        </p>
      ) : null}
      <PendingFlagChanges slug={slug} />
      <Query query={flags} label="Loading flags">
        {(page) =>
          page.items.length === 0 ? (
            <div className="card">
              <Empty title="No flags yet">
                <p>Create one, then roll it out per environment:</p>
                <pre>{`stagegate flag create -p ${slug} new-checkout\nstagegate flag rollout -p ${slug} -e <environment> new-checkout 10`}</pre>
              </Empty>
            </div>
          ) : (
            <div className="table-wrap">
              <table aria-label={`Flags of ${slug}`}>
                <thead>
                  <tr>
                    <th>Flag</th>
                    {names.map((env) => (
                      <th key={env}>
                        {env}
                        <EnvVersion slug={slug} env={env} />
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {page.items.map((flag) => (
                    <tr key={flag.key}>
                      <td>
                        <Link to={`/p/${slug}/flags/${flag.key}`} className="mono">
                          {flag.key}
                        </Link>
                        {flag.description ? <div className="meta">{flag.description}</div> : null}
                      </td>
                      {names.map((env) => (
                        <td key={env}>
                          <span>{serves(flag.environments[env])}</span>{" "}
                          {can.promote(role) ? (
                            <button type="button" className="small" onClick={() => setDialog({ flag, env })}>
                              {flag.environments[env]?.enabled ? "Turn off" : "Turn on"} {flag.key} in {env}
                            </button>
                          ) : null}
                        </td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Query>
      {dialog ? (
        <Confirm
          title={`${dialog.flag.environments[dialog.env]?.enabled ? "Turn off" : "Turn on"} ${dialog.flag.key}`}
          environment={dialog.env}
          current={serves(dialog.flag.environments[dialog.env])}
          next={dialog.flag.environments[dialog.env]?.enabled ? "off" : "on"}
          confirmLabel={dialog.flag.environments[dialog.env]?.enabled ? "Turn off" : "Turn on"}
          tone={dialog.flag.environments[dialog.env]?.enabled ? "danger" : "primary"}
          comment="optional"
          commentLabel="Reason"
          onConfirm={async (reason) => {
            const enabled = !dialog.flag.environments[dialog.env]?.enabled;
            const result = await toggle.mutateAsync({ env: dialog.env, key: dialog.flag.key, enabled, reason });
            setNotice(
              isChangeRequest(result)
                ? `${dialog.env} needs approval: change ${result.id} waits for approvers.`
                : `${dialog.flag.key} is now ${enabled ? "on" : "off"} in ${dialog.env}.`,
            );
          }}
          onClose={() => setDialog(null)}
        />
      ) : null}
    </>
  );
}
