import { createTransport } from "nodemailer";
import type { NodemailerError } from "nodemailer/lib/errors";
import { DEFAULT_DELIVERY_TIMEOUT_MS, PermanentDeliveryError, RetryableDeliveryError } from "../../../shared/delivery.ts";
import type { Notifier, RenderedNotification, SmtpSettings } from "../notifications.types.ts";

export interface EmailMessage {
  subject: string;
  text: string;
  html: string;
}

const TONE_COLOR: Record<RenderedNotification["tone"], string> = {
  good: "#1a7f37",
  attention: "#cf222e",
  warning: "#9a6700",
  accent: "#0969da",
};

export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

function textBody(rendered: RenderedNotification): string {
  const lines = [rendered.title, ""];
  for (const fact of rendered.facts) lines.push(`${fact.label}: ${fact.value}`);
  if (rendered.tests) lines.push(`Tests: ${rendered.tests}`);
  if (rendered.coverage) lines.push(`Coverage: ${rendered.coverage}`);
  if (rendered.failures.shown.length > 0) {
    lines.push("", "Failed tests:", ...rendered.failures.shown.map((name) => `  - ${name}`));
    if (rendered.failures.more > 0) lines.push(`  …and ${rendered.failures.more} more`);
  }
  if (rendered.gates.length > 0) {
    lines.push("", "Quality gates:");
    for (const gate of rendered.gates) lines.push(`  [${gate.passed ? "pass" : "FAIL"}] ${gate.type}: ${gate.message}`);
  }
  if (rendered.links.length > 0) lines.push("", ...rendered.links.map((link) => `${link.label.replace(/…$/, "")}: ${link.url}`));
  return `${lines.join("\n")}\n`;
}

function htmlBody(rendered: RenderedNotification): string {
  const e = escapeHtml;
  const row = (label: string, value: string) =>
    `<tr><th align="left" style="padding:2px 12px 2px 0">${e(label)}</th><td>${e(value)}</td></tr>`;
  const rows = rendered.facts.map((fact) => row(fact.label, fact.value));
  if (rendered.tests) rows.push(row("Tests", rendered.tests));
  if (rendered.coverage) rows.push(row("Coverage", rendered.coverage));
  const parts = [
    `<h2 style="color:${TONE_COLOR[rendered.tone]};margin:0 0 12px">${e(rendered.title)}</h2>`,
    `<table style="border-collapse:collapse">${rows.join("")}</table>`,
  ];
  if (rendered.failures.shown.length > 0) {
    const items = rendered.failures.shown.map((name) => `<li><code>${e(name)}</code></li>`);
    if (rendered.failures.more > 0) items.push(`<li>…and ${rendered.failures.more} more</li>`);
    parts.push(`<h3>Failed tests</h3><ul>${items.join("")}</ul>`);
  }
  if (rendered.gates.length > 0) {
    const items = rendered.gates.map(
      (gate) => `<li>${gate.passed ? "✅" : "❌"} <code>${e(gate.type)}</code> ${e(gate.message)}</li>`,
    );
    parts.push(`<h3>Quality gates</h3><ul>${items.join("")}</ul>`);
  }
  if (rendered.links.length > 0) {
    const buttons = rendered.links.map(
      (link) =>
        `<a href="${e(link.url)}" style="display:inline-block;margin:0 8px 8px 0;padding:8px 14px;border:1px solid #d0d7de;border-radius:6px;text-decoration:none">${e(link.label)}</a>`,
    );
    parts.push(`<p style="margin-top:16px">${buttons.join("")}</p>`);
  }
  return `<!doctype html><html><body style="font-family:system-ui,sans-serif;font-size:14px">${parts.join("\n")}</body></html>`;
}

/** Subject "[stagegate] Approval needed: shop 1.4.0 → live", with a plain-text part and an HTML alternative. */
export function emailMessage(rendered: RenderedNotification): EmailMessage {
  return { subject: `[stagegate] ${rendered.title}`, text: textBody(rendered), html: htmlBody(rendered) };
}

/**
 * 5xx replies (except 503, RFC 5321 §4.2.1) refuse the message for good; 4xx replies and broken connections may pass
 * later. Missing or wrong credentials will not fix themselves either.
 */
function classify(error: unknown): Error {
  const err = error as NodemailerError;
  const message = `SMTP: ${err.response ?? err.message}`;
  if (err.permanent === true || err.code === "EAUTH" || err.code === "ENOAUTH" || err.code === "ECONFIG")
    return new PermanentDeliveryError(message, { cause: error });
  return new RetryableDeliveryError(message, { cause: error });
}

/** Sends through the configured SMTP relay; one transport for all email channels (nodemailer opens a connection per send). */
export function createEmailNotifier(smtp: SmtpSettings | null, options: { timeoutMs?: number } = {}): Notifier {
  const timeoutMs = options.timeoutMs ?? DEFAULT_DELIVERY_TIMEOUT_MS;
  const transport = smtp
    ? createTransport({
        host: smtp.host,
        port: smtp.port,
        secure: smtp.secure ?? smtp.port === 465,
        ...(smtp.auth ? { auth: smtp.auth } : {}),
        connectionTimeout: timeoutMs,
        greetingTimeout: timeoutMs,
        socketTimeout: timeoutMs * 3,
      })
    : null;
  return {
    type: "email",
    async send(channel, event, rendered, sendOptions) {
      if (!smtp || !transport)
        throw new PermanentDeliveryError(
          "this server has no SMTP settings, so it cannot send email; set SMTP_HOST and SMTP_FROM",
        );
      const to = (channel.to ?? []).filter((address) => address.trim() !== "");
      if (to.length === 0) throw new PermanentDeliveryError("the email channel has no recipients (`to:` resolved to nothing)");
      const message = emailMessage(rendered);
      let info: { accepted: unknown[]; rejected: unknown[] };
      try {
        info = await transport.sendMail({
          from: smtp.from,
          to,
          ...message,
          headers: {
            // RFC 3834: out-of-office replies and the like must not answer a machine.
            "Auto-Submitted": "auto-generated",
            "X-Stagegate-Event": event.type,
            ...(sendOptions?.deliveryId ? { "X-Stagegate-Delivery": sendOptions.deliveryId } : {}),
          },
          ...(sendOptions?.signal ? { signal: sendOptions.signal } : {}),
        });
      } catch (error) {
        if (sendOptions?.signal?.aborted) throw error;
        throw classify(error);
      }
      if (info.rejected.length > 0) sendOptions?.warn?.(`SMTP refused ${info.rejected.map(String).join(", ")}`);
    },
  };
}
