import { useEffect } from "react";
import { useParams } from "react-router";
import { useEnvironments, useMyRole, useProjectConfig } from "../api/hooks.ts";
import { useMembers, useRemoveMember, useSetMember } from "../api/settings.ts";
import type { Role } from "../api/types.ts";
import { Empty, ErrorState, Query } from "../components/States.tsx";
import { can } from "../roles.ts";
import { Channels } from "./ProjectChannels.tsx";

const ROLES: Role[] = ["viewer", "developer", "approver", "admin"];

export default function ProjectSettings() {
  const { slug = "" } = useParams();
  const envs = useEnvironments(slug);
  const config = useProjectConfig(slug);
  const me = useMyRole(slug);
  useEffect(() => {
    document.title = `Settings · ${slug} · stagegate`;
  }, [slug]);
  return (
    <>
      <div className="page-head">
        <div className="title">
          <h1>Project settings</h1>
          <div className="meta">
            Environments, gates, approvals and channels come from stagegate.yaml; change the file and run{" "}
            <code>stagegate project apply</code>.
          </div>
        </div>
      </div>
      <section className="card" aria-labelledby="env-title">
        <h2 id="env-title">Environments</h2>
        <Query query={envs} label="Loading environments">
          {(data) =>
            data.items.length === 0 ? (
              <Empty title="No environments" />
            ) : (
              <div className="table-wrap">
                <table aria-label="Environments">
                  <thead>
                    <tr>
                      <th scope="col" className="num">
                        #
                      </th>
                      <th scope="col">Name</th>
                      <th scope="col">Requires</th>
                      <th scope="col">Steps</th>
                      <th scope="col" className="hide-narrow">
                        Auto-deploy
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.items.map((e) => (
                      <tr key={e.name}>
                        <td className="num">{e.position + 1}</td>
                        <td>
                          <strong>{e.name}</strong>
                        </td>
                        <td>{e.requires ?? "—"}</td>
                        <td>
                          {e.executor.map((s) => (
                            <div key={s.name}>
                              <code>{s.name}</code> <span className="muted">{s.type}</span>
                            </div>
                          ))}
                        </td>
                        <td className="hide-narrow">{e.autoDeploy ? `from ${e.autoDeploy.branch}` : "—"}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )
          }
        </Query>
      </section>
      <Members slug={slug} admin={can.administer(me.data?.role)} />
      {can.administer(me.data?.role) ? <Channels slug={slug} /> : null}
      <section className="card" aria-labelledby="yaml-title">
        <details>
          <summary>
            <h2 id="yaml-title" style={{ display: "inline" }}>
              stagegate.yaml as last applied
            </h2>
          </summary>
          {config.data ? <pre style={{ maxHeight: 420 }}>{config.data}</pre> : <p className="muted">No file applied yet.</p>}
        </details>
      </section>
    </>
  );
}

function Members({ slug, admin }: { slug: string; admin: boolean }) {
  const members = useMembers(slug);
  const set = useSetMember(slug);
  const remove = useRemoveMember(slug);
  return (
    <section className="card" aria-labelledby="members-title">
      <h2 id="members-title">Members and roles</h2>
      <p className="muted">viewer &lt; developer (promote, rollback) &lt; approver (approve) &lt; admin (members, overrides).</p>
      {admin ? (
        <form
          className="toolbar"
          onSubmit={(e) => {
            e.preventDefault();
            const form = e.currentTarget;
            const data = new FormData(form);
            set.mutate(
              { username: String(data.get("username") ?? ""), role: String(data.get("role") ?? "viewer") as Role },
              { onSuccess: () => form.reset() },
            );
          }}
        >
          <label htmlFor="m-user">Username</label>
          <input id="m-user" name="username" required />
          <label htmlFor="m-role">Role</label>
          <select id="m-role" name="role" defaultValue="developer">
            {ROLES.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
          <button type="submit" disabled={set.isPending}>
            Add or change
          </button>
        </form>
      ) : null}
      {set.error ? <ErrorState error={set.error} /> : null}
      <Query query={members} label="Loading members">
        {(data) =>
          data.items.length === 0 ? (
            <Empty title="No members yet">
              <p>Global admins see every project; add people here to give them a role in this one.</p>
            </Empty>
          ) : (
            <div className="table-wrap">
              <table aria-label="Members">
                <thead>
                  <tr>
                    <th scope="col">User</th>
                    <th scope="col">Role</th>
                    {admin ? (
                      <th scope="col">
                        <span className="sr-only">Actions</span>
                      </th>
                    ) : null}
                  </tr>
                </thead>
                <tbody>
                  {data.items.map((m) => (
                    <tr key={m.username}>
                      <td>
                        {m.username}
                        {m.displayName ? <span className="muted"> · {m.displayName}</span> : null}
                      </td>
                      <td>
                        {admin ? (
                          <select
                            aria-label={`Role of ${m.username}`}
                            value={m.role}
                            onChange={(e) => set.mutate({ username: m.username, role: e.target.value as Role })}
                          >
                            {ROLES.map((r) => (
                              <option key={r}>{r}</option>
                            ))}
                          </select>
                        ) : (
                          m.role
                        )}
                      </td>
                      {admin ? (
                        <td className="num">
                          <button type="button" className="small" onClick={() => remove.mutate(m.username)}>
                            Remove
                          </button>
                        </td>
                      ) : null}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Query>
    </section>
  );
}
