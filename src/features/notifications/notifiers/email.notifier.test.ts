import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closedPort } from "../../../../test/helpers/recording-server.ts";
import { renderNotification } from "../notification.render.ts";
import type { NotificationChannel } from "../notifications.types.ts";
import { createEmailNotifier, escapeHtml } from "./email.notifier.ts";
import { APPROVE_URL, notifierContract, REJECT_URL, sampleEvent } from "./notifier.contract.ts";
import { type SmtpFake, startSmtpFake } from "./smtp.fake.ts";

const FROM = "stagegate <stagegate@acme.test>";
const channel: NotificationChannel = { type: "email", to: ["lead@acme.test", "ops@acme.test"], events: ["approval_requested"] };

notifierContract("email", async () => {
  const smtp = await startSmtpFake();
  return {
    notifier: createEmailNotifier({ host: "127.0.0.1", port: smtp.port, from: FROM }),
    channel,
    received: () => smtp.messages.length,
    lastMessage: () => smtp.messages.at(-1)?.text ?? "",
    failNextTransient: () => smtp.failNext(451),
    failNextPermanent: () => smtp.failNext(550),
    unreachable: async () => ({
      notifier: createEmailNotifier({ host: "127.0.0.1", port: await closedPort(), from: FROM }, { timeoutMs: 1000 }),
      channel,
    }),
    teardown: () => smtp.close(),
  };
});

describe("email notifier", () => {
  let smtp: SmtpFake;
  beforeAll(async () => {
    smtp = await startSmtpFake();
  });
  afterAll(() => smtp.close());

  it("sends a multipart message: subject, a plain-text part and an HTML alternative with the approve link", async () => {
    const notifier = createEmailNotifier({ host: "127.0.0.1", port: smtp.port, from: FROM });
    const event = sampleEvent();
    await notifier.send(channel, event, renderNotification(event), { deliveryId: "ntf_mail" });
    const mail = smtp.messages.at(-1);
    expect(mail?.from).toBe("stagegate@acme.test");
    expect(mail?.to).toEqual(["lead@acme.test", "ops@acme.test"]);
    expect(mail?.subject).toBe("[stagegate] Approval needed: shop 1.4.0 → live");
    expect(mail?.headers.get("content-type")).toMatch(/^multipart\/alternative/);
    expect(mail?.headers.get("auto-submitted")).toBe("auto-generated");
    expect(mail?.headers.get("x-stagegate-delivery")).toBe("ntf_mail");
    expect(mail?.text).toContain("Requested by: alice");
    expect(mail?.text).toContain("Tests: 212 passed · 3 failed · 2 skipped · 1 flaky (218 total)");
    expect(mail?.text).toContain("  - checkout › applies <discount> & tax");
    expect(mail?.text).toContain(`Approve: ${APPROVE_URL}`);
    expect(mail?.text).toContain(`Reject: ${REJECT_URL}`);
    expect(mail?.html).toContain(`<a href="${escapeHtml(APPROVE_URL)}"`);
    expect(mail?.html).toContain("<code>checkout › applies &lt;discount&gt; &amp; tax</code>");
    expect(mail?.html).not.toContain("<discount>");
  });

  it("delivers to the recipients the relay accepts and reports the ones it refused", async () => {
    smtp.unknownRecipients.add("gone@acme.test");
    const notifier = createEmailNotifier({ host: "127.0.0.1", port: smtp.port, from: FROM });
    const event = sampleEvent();
    const warnings: string[] = [];
    const to = { ...channel, to: ["lead@acme.test", "gone@acme.test"] };
    await notifier.send(to, event, renderNotification(event), { warn: (message) => warnings.push(message) });
    expect(smtp.messages.at(-1)?.to).toEqual(["lead@acme.test"]);
    expect(warnings).toEqual(["SMTP refused gone@acme.test"]);
  });

  it("fails for good, saying what to set, when the server has no SMTP settings", async () => {
    const event = sampleEvent();
    await expect(createEmailNotifier(null).send(channel, event, renderNotification(event))).rejects.toMatchObject({
      name: "PermanentDeliveryError",
      message: expect.stringContaining("SMTP_HOST"),
    });
  });
});
