import { Value } from "typebox/value";
import { describe, expect, it } from "vitest";
import {
  channelKeys,
  duplicateChannelNames,
  type NotificationChannel,
  NotificationChannelSchema,
  NotificationChannelsSchema,
} from "./notifications.types.ts";

const messages = (value: unknown) => Value.Errors(NotificationChannelsSchema, value).map((error) => error.message);

describe("notification channel config", () => {
  it("accepts each channel type with its own keys, secrets as env references", () => {
    const channels = [
      { type: "slack", url: `\${env:SLACK_WEBHOOK}`, events: ["approval_requested", "deployment_failed"] },
      { type: "teams", name: "ops", url: "https://prod.westeurope.logic.azure.com/workflows/1", events: ["rollback"] },
      { type: "email", to: ["lead@acme.test", `\${env:ONCALL_EMAIL}`], events: ["gate_failed"] },
      { type: "webhook", url: "https://hooks.acme.test/in", secret: `\${env:HOOK_SECRET}`, events: ["deployment_succeeded"] },
    ];
    expect(messages(channels)).toEqual([]);
  });

  it("says which key a channel type needs or refuses", () => {
    expect(messages([{ type: "slack", events: ["rollback"] }])).toContain(
      `a slack channel needs \`url:\` (its webhook address, e.g. "\${env:NAME}")`,
    );
    expect(messages([{ type: "email", url: "https://x.test", to: ["a@b.test"], events: ["rollback"] }])).toContain(
      "an email channel sends through the server's SMTP settings; remove `url:`",
    );
    expect(messages([{ type: "teams", url: "https://x.test", secret: "s", events: ["rollback"] }])).toContain(
      "`secret:` signs webhook channels only; remove it from this channel",
    );
  });

  it("refuses unknown events, unknown keys and bad addresses", () => {
    expect(Value.Check(NotificationChannelSchema, { type: "slack", url: "https://x.test", events: ["deployed"] })).toBe(false);
    expect(Value.Check(NotificationChannelSchema, { type: "slack", url: "https://x", events: ["rollback"], channel: "#x" })).toBe(
      false,
    );
    expect(Value.Check(NotificationChannelSchema, { type: "email", to: ["not an address"], events: ["rollback"] })).toBe(false);
    expect(Value.Check(NotificationChannelSchema, { type: "slack", url: "https://x.test", events: [] })).toBe(false);
  });

  it("keys unnamed channels by type and position among their type, and finds duplicate names", () => {
    const channels: NotificationChannel[] = [
      { type: "slack", url: "a", events: ["rollback"] },
      { type: "email", to: ["a@b.test"], events: ["rollback"] },
      { type: "slack", url: "b", events: ["rollback"] },
      { type: "slack", name: "slack#1", url: "c", events: ["rollback"] },
    ];
    expect(channelKeys(channels)).toEqual(["slack#1", "email#1", "slack#2", "slack#1"]);
    expect(duplicateChannelNames(channels)).toEqual([
      { index: 3, message: 'duplicates notification channel name "slack#1"; give each a unique name:' },
    ]);
  });
});
