import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderNotification } from "../notification.render.ts";
import {
  NOTIFICATION_EVENTS,
  type NotificationChannel,
  type NotificationEvent,
  type Notifier,
  PermanentDeliveryError,
  RetryableDeliveryError,
} from "../notifications.types.ts";

export const APPROVE_URL = "https://stagegate.acme.test/approvals/apr_01/confirm?decision=approve";
export const REJECT_URL = "https://stagegate.acme.test/approvals/apr_01/confirm?decision=reject";

/** An approval request for shop 1.4.0 → live with the evidence a reviewer wants to see. */
export function sampleEvent(overrides: Partial<NotificationEvent> = {}): NotificationEvent {
  return {
    type: "approval_requested",
    project: { slug: "shop", name: "Shop pipelines" },
    environment: "live",
    release: { version: "1.4.0", commitSha: "9fceb02d0ae598e95dc970b74767f19372d61af8", branch: "main", createdBy: "ci-bot" },
    deployment: { id: "dep_01TEST", status: "pending_approval", kind: "deploy", reason: null },
    actor: "alice",
    evidence: {
      tests: { total: 218, passed: 212, failed: 3, skipped: 2, flaky: 1 },
      failures: ["checkout › applies <discount> & tax", "cart › merges lines", "payments › retries on 503"],
      coverage: { lines: 84.24, delta: 0.41 },
      gates: [
        { type: "tests_pass", passed: true, message: "unit: all required tests passed" },
        { type: "coverage_min", passed: false, message: "lines 84.2% ≥ 80%" },
      ],
      previousRelease: "1.3.2",
    },
    links: { view: "https://stagegate.acme.test/shop/releases/1.4.0", approve: APPROVE_URL, reject: REJECT_URL },
    at: "2026-03-01T12:00:00.000Z",
    ...overrides,
  };
}

export interface NotifierFixture {
  notifier: Notifier;
  /** A channel that reaches the fake service. */
  channel: NotificationChannel;
  /** How many messages the fake accepted so far. */
  received(): number;
  /** The last accepted message as the reader sees it (decoded text), for content assertions. */
  lastMessage(): string;
  /** The next send meets a failure that may pass (HTTP 503, SMTP 451). */
  failNextTransient(): void;
  /** The next send meets a refusal (HTTP 404, SMTP 550). */
  failNextPermanent(): void;
  /** A notifier and channel pointing where nothing listens. */
  unreachable(): Promise<{ notifier: Notifier; channel: NotificationChannel }>;
  teardown(): Promise<void>;
}

async function send(fixture: NotifierFixture, event: NotificationEvent, notifier = fixture.notifier, channel = fixture.channel) {
  await notifier.send(channel, event, renderNotification(event), { timeoutMs: 2000, deliveryId: "ntf_contract" });
}

/** The behaviour every notifier must show; call it from the notifier's test file with a fixture. */
export function notifierContract(name: string, setup: () => Promise<NotifierFixture>): void {
  describe(`notifier contract: ${name}`, () => {
    let fixture: NotifierFixture;
    beforeAll(async () => {
      fixture = await setup();
    });
    afterAll(async () => {
      await fixture.teardown();
    });

    it("delivers an approval request that links to the approve and reject confirmation pages", async () => {
      const before = fixture.received();
      await send(fixture, sampleEvent());
      expect(fixture.received()).toBe(before + 1);
      const message = fixture.lastMessage();
      expect(message).toContain(APPROVE_URL);
      expect(message).toContain(REJECT_URL);
      expect(message).toContain("1.4.0");
    });

    it("delivers every event type in a shape the service accepts", async () => {
      for (const type of NOTIFICATION_EVENTS) {
        const minimal: NotificationEvent = {
          type,
          project: { slug: "shop", name: "shop" },
          links: { view: "https://x.test/" },
          at: "2026-03-01T12:00:00Z",
        };
        await send(fixture, type === "deployment_succeeded" ? minimal : sampleEvent({ type }));
      }
    });

    it("reports a failure that may pass as retryable", async () => {
      fixture.failNextTransient();
      await expect(send(fixture, sampleEvent())).rejects.toBeInstanceOf(RetryableDeliveryError);
    });

    it("reports a refusal as permanent", async () => {
      fixture.failNextPermanent();
      await expect(send(fixture, sampleEvent())).rejects.toBeInstanceOf(PermanentDeliveryError);
    });

    it("reports an unreachable service as retryable", async () => {
      const { notifier, channel } = await fixture.unreachable();
      await expect(send(fixture, sampleEvent(), notifier, channel)).rejects.toBeInstanceOf(RetryableDeliveryError);
    });
  });
}
