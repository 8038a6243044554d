import { useState } from "react";
import { useChannels, useTestChannel } from "../api/settings.ts";
import type { ChannelTestResult, NotificationChannel } from "../api/types.ts";
import { DataTable, DeliveryStatus } from "../components/DataTable.tsx";
import { Empty, ErrorState, Query } from "../components/States.tsx";
import { RelTime } from "../components/Time.tsx";

const TYPE_LABEL: Record<NotificationChannel["type"], string> = {
  slack: "Slack",
  teams: "Teams",
  email: "Email",
  webhook: "Webhook",
};

/** The project's notification channels (admins): where each posts, what it wants, how its last messages went. */
export function Channels({ slug }: { slug: string }) {
  const channels = useChannels(slug, true);
  return (
    <section className="card" aria-labelledby="channels-title">
      <h2 id="channels-title">Notification channels</h2>
      <Query query={channels} label="Loading channels">
        {(data) =>
          data.items.length === 0 ? (
            <Empty title="No channels">
              <p>
                Add a <code>notifications:</code> list to stagegate.yaml, e.g.{" "}
                <code>{'- { type: slack, url: "${env:SLACK_WEBHOOK}", events: [approval_requested] }'}</code>, then run{" "}
                <code>stagegate project apply</code>.
              </p>
            </Empty>
          ) : (
            <ul className="channel-list" aria-label="Channels" style={{ listStyle: "none", padding: 0, margin: 0 }}>
              {data.items.map((c) => (
                <Channel key={c.key} slug={slug} channel={c} />
              ))}
            </ul>
          )
        }
      </Query>
    </section>
  );
}

function Channel({ slug, channel }: { slug: string; channel: NotificationChannel }) {
  const test = useTestChannel(slug);
  const [result, setResult] = useState<ChannelTestResult | null>(null);
  return (
    <li aria-label={`Channel ${channel.key}`} style={{ padding: "10px 0", borderTop: "1px solid var(--border)" }}>
      <div className="toolbar" style={{ marginBottom: 4, alignItems: "baseline" }}>
        <strong>{channel.key}</strong>
        <span className="chip">{TYPE_LABEL[channel.type]}</span>
        <code style={{ overflowWrap: "anywhere" }}>{channel.target}</code>
        <span className="spacer" />
        <button
          type="button"
          className="small"
          disabled={test.isPending}
          onClick={() => {
            setResult(null);
            test.mutate(channel.key, { onSuccess: setResult });
          }}
        >
          {test.isPending ? "Sending…" : `Send test to ${channel.key}`}
        </button>
      </div>
      <div className="muted" style={{ fontSize: 13 }}>
        Events: {channel.events.join(", ")} · all environments
      </div>
      {test.error ? <ErrorState error={test.error} /> : null}
      {result ? (
        <p role="status" className={result.ok ? "banner ok" : "banner bad"} style={{ marginTop: 6 }}>
          {result.ok
            ? `Test message accepted by ${channel.key} in ${result.durationMs} ms.`
            : `${channel.key} did not take the test message: ${result.error ?? "no answer"}`}
        </p>
      ) : null}
      {channel.recent.length > 0 ? (
        <DataTable
          label={`Recent deliveries to ${channel.key}`}
          rows={channel.recent}
          rowKey={(d) => d.id}
          columns={[
            { header: "Status", cell: (d) => <DeliveryStatus status={d.status} lastError={d.lastError} /> },
            {
              header: "Event",
              cell: (d) => (
                <>
                  {d.event}
                  {d.release ? <span className="muted"> {d.release}</span> : null}
                  {d.environment ? <span className="muted"> → {d.environment}</span> : null}
                </>
              ),
            },
            { header: "Attempts", num: true, cell: (d) => d.attempts },
            { header: "When", cell: (d) => <RelTime at={d.createdAt} /> },
          ]}
        />
      ) : (
        <p className="muted" style={{ margin: "4px 0 0", fontSize: 13 }}>
          Nothing sent yet.
        </p>
      )}
    </li>
  );
}
