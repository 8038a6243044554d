import { truncate } from "../notification.render.ts";
import type { Notifier, RenderedNotification } from "../notifications.types.ts";
import { postJson } from "./http.post.ts";

/** Block Kit limits (docs.slack.dev/reference/block-kit): a message holds ≤ 50 blocks; these are the per-field ones. */
export const SLACK_LIMITS = {
  blocks: 50,
  headerText: 150,
  sectionText: 3000,
  fields: 10,
  fieldText: 2000,
  actions: 25,
  buttonText: 75,
  buttonUrl: 3000,
} as const;

type TextObject = { type: "plain_text"; text: string; emoji?: boolean } | { type: "mrkdwn"; text: string };
export type SlackBlock =
  | { type: "header"; text: TextObject }
  | { type: "section"; text?: TextObject; fields?: TextObject[] }
  | { type: "context"; elements: TextObject[] }
  | { type: "divider" }
  | {
      type: "actions";
      elements: { type: "button"; text: TextObject; url: string; action_id: string; style?: "primary" | "danger" }[];
    };

/** Slack's mrkdwn treats &, < and > as control characters (docs: "Escaping text"); user text must not link or mention. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function mrkdwn(text: string, max: number): TextObject {
  return { type: "mrkdwn", text: truncate(text, max) };
}

function section(text: string): SlackBlock {
  return { type: "section", text: mrkdwn(text, SLACK_LIMITS.sectionText) };
}

function evidenceBlocks(rendered: RenderedNotification): SlackBlock[] {
  const blocks: SlackBlock[] = [];
  const results = [
    rendered.tests ? `*Tests*  ${escapeMrkdwn(rendered.tests)}` : null,
    rendered.coverage ? `*Coverage*  ${escapeMrkdwn(rendered.coverage)}` : null,
  ].filter((line): line is string => line !== null);
  if (results.length > 0) blocks.push(section(results.join("\n")));
  const { shown, more } = rendered.failures;
  if (shown.length > 0) {
    const lines = shown.map((name) => `• ${escapeMrkdwn(name)}`);
    if (more > 0) lines.push(`_…and ${more} more_`);
    blocks.push(section(`*Failed tests*\n${lines.join("\n")}`));
  }
  if (rendered.gates.length > 0) {
    const lines = rendered.gates.map(
      (gate) => `${gate.passed ? "✅" : "❌"} \`${escapeMrkdwn(gate.type)}\` ${escapeMrkdwn(gate.message)}`,
    );
    blocks.push(section(`*Quality gates*\n${lines.join("\n")}`));
  }
  return blocks;
}

/**
 * The incoming-webhook body: header, facts as two-column fields, test/coverage/gate evidence, and link buttons. Approve
 * and Reject are `url` buttons to the confirmation page, never actions that change state on a click of a chat preview.
 */
export function slackPayload(rendered: RenderedNotification): { text: string; blocks: SlackBlock[] } {
  const blocks: SlackBlock[] = [
    {
      type: "header",
      text: { type: "plain_text", text: truncate(`${rendered.emoji} ${rendered.title}`, SLACK_LIMITS.headerText), emoji: true },
    },
  ];
  if (rendered.facts.length > 0) {
    blocks.push({
      type: "section",
      fields: rendered.facts
        .slice(0, SLACK_LIMITS.fields)
        .map((fact) => mrkdwn(`*${escapeMrkdwn(fact.label)}*\n${escapeMrkdwn(fact.value)}`, SLACK_LIMITS.fieldText)),
    });
  }
  blocks.push(...evidenceBlocks(rendered));
  const buttons = rendered.links
    .filter((link) => link.url.length <= SLACK_LIMITS.buttonUrl)
    .map((link) => ({
      type: "button" as const,
      text: { type: "plain_text" as const, text: truncate(link.label, SLACK_LIMITS.buttonText) },
      url: link.url,
      action_id: link.kind,
      ...(link.kind === "approve" ? { style: "primary" as const } : link.kind === "reject" ? { style: "danger" as const } : {}),
    }));
  if (buttons.length > 0) blocks.push({ type: "actions", elements: buttons });
  // `text` is what notifications and screen readers show when blocks are present.
  return { text: truncate(rendered.summary, SLACK_LIMITS.sectionText), blocks: blocks.slice(0, SLACK_LIMITS.blocks) };
}

/** Slack incoming webhooks answer 200 "ok"; errors are plain-text codes (400 invalid_blocks, 404 no_service, 410 …). */
export const slackNotifier: Notifier = {
  type: "slack",
  async send(channel, _event, rendered, options) {
    await postJson({ service: "Slack", url: channel.url ?? "", body: JSON.stringify(slackPayload(rendered)) }, options);
  },
};
