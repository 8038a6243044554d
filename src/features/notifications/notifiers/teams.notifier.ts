import type { Notifier, RenderedNotification } from "../notifications.types.ts";
import { postJson } from "./http.post.ts";

export const ADAPTIVE_CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive";
/** Teams renders Adaptive Cards up to 1.5 on desktop and web; 1.4 is what every Teams client (mobile too) shows. */
export const ADAPTIVE_CARD_VERSION = "1.4";

type CardElement = Record<string, unknown> & { type: string };

const COLOR: Record<RenderedNotification["tone"], string> = {
  good: "Good",
  attention: "Attention",
  warning: "Warning",
  accent: "Accent",
};

function textBlock(text: string, extra: Record<string, unknown> = {}): CardElement {
  return { type: "TextBlock", text, wrap: true, ...extra };
}

function evidence(rendered: RenderedNotification): CardElement[] {
  const body: CardElement[] = [];
  const facts = [
    rendered.tests ? { title: "Tests", value: rendered.tests } : null,
    rendered.coverage ? { title: "Coverage", value: rendered.coverage } : null,
  ].filter((fact) => fact !== null);
  if (facts.length > 0) body.push({ type: "FactSet", facts, separator: true });
  const { shown, more } = rendered.failures;
  if (shown.length > 0) {
    body.push(textBlock("Failed tests", { weight: "Bolder", spacing: "Medium" }));
    const lines = shown.map((name) => `- ${name}`);
    if (more > 0) lines.push(`- …and ${more} more`);
    body.push(textBlock(lines.join("\n"), { spacing: "Small" }));
  }
  if (rendered.gates.length > 0) {
    body.push(textBlock("Quality gates", { weight: "Bolder", spacing: "Medium" }));
    body.push({
      type: "FactSet",
      spacing: "Small",
      facts: rendered.gates.map((gate) => ({ title: `${gate.passed ? "✅" : "❌"} ${gate.type}`, value: gate.message })),
    });
  }
  return body;
}

/** The Adaptive Card a Teams workflow ("Send webhook alerts to a channel") posts as it is: facts and OpenUrl actions. */
export function adaptiveCard(rendered: RenderedNotification): Record<string, unknown> {
  const body: CardElement[] = [
    textBlock(`${rendered.emoji} ${rendered.title}`, { size: "Large", weight: "Bolder", color: COLOR[rendered.tone] }),
  ];
  if (rendered.facts.length > 0)
    body.push({ type: "FactSet", facts: rendered.facts.map((fact) => ({ title: fact.label, value: fact.value })) });
  body.push(...evidence(rendered));
  return {
    $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
    type: "AdaptiveCard",
    version: ADAPTIVE_CARD_VERSION,
    msteams: { width: "Full" },
    fallbackText: rendered.summary,
    body,
    actions: rendered.links.map((link) => ({
      type: "Action.OpenUrl",
      title: link.label,
      url: link.url,
      ...(link.kind === "approve" ? { style: "positive" } : link.kind === "reject" ? { style: "destructive" } : {}),
    })),
  };
}

/** The message a Teams workflow webhook takes: one attachment holding the card. */
export function teamsPayload(rendered: RenderedNotification): Record<string, unknown> {
  return {
    type: "message",
    attachments: [{ contentType: ADAPTIVE_CARD_CONTENT_TYPE, contentUrl: null, content: adaptiveCard(rendered) }],
  };
}

/** A Teams workflow (Power Automate) webhook answers 202 Accepted and runs the flow afterwards. */
export const teamsNotifier: Notifier = {
  type: "teams",
  async send(channel, _event, rendered, options) {
    await postJson({ service: "Teams", url: channel.url ?? "", body: JSON.stringify(teamsPayload(rendered)) }, options);
  },
};
