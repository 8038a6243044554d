import { useEffect, useRef, useState } from "react";
import { useSession } from "../api/hooks.ts";
import { useCreateToken, useCreateUser, useDeliveries, useRevokeToken, useTokens, useUsers } from "../api/settings.ts";
import type { CreatedToken } from "../api/types.ts";
import { DataTable, DeliveryStatus } from "../components/DataTable.tsx";
import { Dialog } from "../components/Dialog.tsx";
import { Empty, ErrorState, Query } from "../components/States.tsx";
import { Status } from "../components/Status.tsx";
import { RelTime } from "../components/Time.tsx";

export default function Settings() {
  const session = useSession();
  const admin = session.data?.user.globalAdmin ?? false;
  useEffect(() => {
    document.title = "Settings · stagegate";
  }, []);
  return (
    <>
      <div className="page-head">
        <div className="title">
          <h1>Settings</h1>
          <div className="meta">
            Your API tokens{admin ? ", users, and notification deliveries" : ""}. Project environments and members live under each
            project's Settings.
          </div>
        </div>
      </div>
      <Tokens />
      {admin ? <Users /> : null}
      {admin ? <Deliveries /> : null}
    </>
  );
}

function Tokens() {
  const tokens = useTokens();
  const create = useCreateToken();
  const revoke = useRevokeToken();
  const [created, setCreated] = useState<CreatedToken | null>(null);
  const [confirm, setConfirm] = useState<{ id: string; name: string } | null>(null);
  const [copied, setCopied] = useState(false);
  const secret = useRef<HTMLInputElement>(null);
  return (
    <section className="card" aria-labelledby="tokens-title">
      <div className="card-head">
        <h2 id="tokens-title">API tokens</h2>
      </div>
      <p className="muted">
        For CI and the CLI: <code>STAGEGATE_TOKEN=… stagegate report upload …</code>. A token acts as you, never above your roles.
      </p>
      <form
        className="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          const data = new FormData(e.currentTarget);
          const days = Number(data.get("days") ?? 0);
          create.mutate(
            { name: String(data.get("name") ?? ""), ...(days > 0 ? { expiresInDays: days } : {}) },
            { onSuccess: (token) => setCreated(token) },
          );
          e.currentTarget.reset();
        }}
      >
        <label htmlFor="token-name">Token name</label>
        <input id="token-name" name="name" required maxLength={100} placeholder="github-actions" />
        <label htmlFor="token-days">Expires in (days)</label>
        <input id="token-days" name="days" type="number" min={1} max={3650} defaultValue={90} style={{ width: 90 }} />
        <button type="submit" className="primary" disabled={create.isPending}>
          Create token
        </button>
      </form>
      {create.error ? <ErrorState error={create.error} /> : null}
      <Query query={tokens} label="Loading tokens">
        {(page) =>
          page.items.length === 0 ? (
            <Empty title="No tokens yet">
              <p>Create one for each CI system, so you can revoke one without breaking the others.</p>
            </Empty>
          ) : (
            <DataTable
              label="API tokens"
              rows={page.items}
              rowKey={(t) => t.id}
              columns={[
                {
                  header: "Name",
                  cell: (t) => (
                    <>
                      {t.name}
                      <div className="muted" style={{ fontSize: 12 }}>
                        {t.kind}
                        {t.owner ? ` · ${t.owner}` : ""}
                      </div>
                    </>
                  ),
                },
                { header: "Role", cell: (t) => (t.globalAdmin ? "global admin" : t.role) },
                { header: "Last used", hideNarrow: true, cell: (t) => <RelTime at={t.lastUsedAt} /> },
                { header: "Expires", hideNarrow: true, cell: (t) => (t.expiresAt ? <RelTime at={t.expiresAt} /> : "never") },
                {
                  header: "Actions",
                  hiddenHeader: true,
                  num: true,
                  cell: (t) =>
                    t.revokedAt ? (
                      <Status status="cancelled">Revoked</Status>
                    ) : (
                      <button type="button" className="small" onClick={() => setConfirm({ id: t.id, name: t.name })}>
                        Revoke
                      </button>
                    ),
                },
              ]}
            />
          )
        }
      </Query>
      {created ? (
        <Dialog title={`Token ${created.name} created`} onClose={() => setCreated(null)} initialFocus={secret}>
          <p>
            <strong>Copy it now: it is shown only this once.</strong> stagegate keeps only its SHA-256.
          </p>
          <div className="field">
            <label htmlFor="new-token">Token</label>
            <input
              id="new-token"
              ref={secret}
              readOnly
              value={created.token}
              className="mono"
              onFocus={(e) => e.currentTarget.select()}
            />
          </div>
          <div className="buttons">
            <button type="button" onClick={() => void navigator.clipboard?.writeText(created.token).then(() => setCopied(true))}>
              {copied ? "Copied" : "Copy"}
            </button>
            <button type="button" className="primary" onClick={() => setCreated(null)}>
              Done
            </button>
          </div>
        </Dialog>
      ) : null}
      {confirm ? (
        <Dialog title={`Revoke ${confirm.name}?`} onClose={() => setConfirm(null)}>
          <p>It stops working at once; whatever uses it will get 401s.</p>
          <div className="buttons">
            <button type="button" onClick={() => setConfirm(null)}>
              Cancel
            </button>
            <button
              type="button"
              className="danger"
              onClick={() => revoke.mutate(confirm.id, { onSettled: () => setConfirm(null) })}
            >
              Revoke {confirm.name}
            </button>
          </div>
        </Dialog>
      ) : null}
    </section>
  );
}

function Users() {
  const users = useUsers(true);
  const create = useCreateUser();
  return (
    <section className="card" aria-labelledby="users-title">
      <h2 id="users-title">Users</h2>
      <form
        className="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          const form = e.currentTarget;
          const data = new FormData(form);
          create.mutate(
            {
              username: String(data.get("username") ?? ""),
              password: String(data.get("password") ?? ""),
              globalAdmin: data.get("admin") === "on",
            },
            { onSuccess: () => form.reset() },
          );
        }}
      >
        <label htmlFor="u-name">Username</label>
        <input id="u-name" name="username" required />
        <label htmlFor="u-pass">Password</label>
        <input id="u-pass" name="password" type="password" minLength={12} required autoComplete="new-password" />
        <label className="chips" style={{ fontWeight: 400 }}>
          <input type="checkbox" name="admin" /> Global admin
        </label>
        <button type="submit" disabled={create.isPending}>
          Add user
        </button>
      </form>
      {create.error ? <ErrorState error={create.error} /> : null}
      <Query query={users} label="Loading users">
        {(page) => (
          <DataTable
            label="Users"
            rows={page.items}
            rowKey={(u) => u.username}
            columns={[
              {
                header: "Username",
                cell: (u) => (
                  <>
                    {u.username}
                    {u.disabled ? <span className="muted"> (disabled)</span> : null}
                  </>
                ),
              },
              { header: "Name", hideNarrow: true, cell: (u) => u.displayName ?? "—" },
              { header: "Global admin", cell: (u) => (u.globalAdmin ? "yes" : "no") },
              { header: "Since", cell: (u) => <RelTime at={u.createdAt} /> },
            ]}
          />
        )}
      </Query>
      <p className="muted" style={{ marginTop: 8 }}>
        Project roles (viewer, developer, approver, admin) are set under each project's Settings.
      </p>
    </section>
  );
}

function Deliveries() {
  const deliveries = useDeliveries(true);
  return (
    <section className="card" aria-labelledby="deliveries-title">
      <h2 id="deliveries-title">Notification deliveries</h2>
      <Query query={deliveries} label="Loading deliveries">
        {(page) =>
          page.items.length === 0 ? (
            <Empty title="Nothing sent yet">
              <p>
                Channels (Slack, Teams, email, webhook) are declared under <code>notifications:</code> in stagegate.yaml.
              </p>
            </Empty>
          ) : (
            <DataTable
              label="Notification deliveries"
              rows={page.items}
              rowKey={(d) => d.id}
              columns={[
                { header: "Status", cell: (d) => <DeliveryStatus status={d.status} lastError={d.lastError} /> },
                {
                  header: "Event",
                  cell: (d) => (
                    <>
                      {d.event}
                      <div className="muted" style={{ fontSize: 12 }}>
                        {d.project}
                        {d.release ? ` ${d.release}` : ""}
                        {d.environment ? ` → ${d.environment}` : ""}
                      </div>
                    </>
                  ),
                },
                {
                  header: "Channel",
                  cell: (d) => (
                    <>
                      {d.channel} <span className="muted">({d.channelType})</span>
                    </>
                  ),
                },
                { header: "Attempts", num: true, cell: (d) => d.attempts },
                { header: "When", cell: (d) => <RelTime at={d.createdAt} /> },
              ]}
            />
          )
        }
      </Query>
    </section>
  );
}
