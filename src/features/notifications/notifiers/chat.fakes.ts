import type { ServerResponse } from "node:http";
import { type RecordedRequest, startRecordingServer } from "../../../../test/helpers/recording-server.ts";

/**
 * Fakes of a Slack incoming webhook and a Teams workflow webhook for tests. They check the payload the way the real
 * services do (Block Kit limits, an Adaptive Card attachment) and answer like them: Slack 200 "ok" or a plain-text
 * error code, Teams 202 Accepted. `failNext` scripts outages, rate limits and dead webhooks.
 */
export interface ChatFake {
  /** The webhook URL to configure (contains the fake's secret path or `sig`). */
  url: string;
  requests: RecordedRequest[];
  /** Payloads accepted, in order. */
  messages: Record<string, unknown>[];
  failNext(status: number, options?: { body?: string; headers?: Record<string, string> }): void;
  close(): Promise<void>;
}

type Validate = (payload: Record<string, unknown>) => string | null;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function parse(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function reply(response: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, { "content-type": "text/plain; charset=utf-8", ...headers });
  response.end(body);
}

async function startChatFake(options: {
  path: string;
  authorized: (request: RecordedRequest) => boolean;
  validate: Validate;
  accept: (response: ServerResponse) => void;
  reject: (response: ServerResponse, status: number, code: string) => void;
}): Promise<ChatFake> {
  const script: { status: number; body: string; headers: Record<string, string> }[] = [];
  const messages: Record<string, unknown>[] = [];
  const server = await startRecordingServer((request, response) => {
    const next = script.shift();
    if (next) return reply(response, next.status, next.body, next.headers);
    if (request.method !== "POST" || !request.url.startsWith(options.path) || !options.authorized(request))
      return options.reject(response, 404, "no_service");
    const payload = parse(request.body);
    if (!payload) return options.reject(response, 400, "invalid_payload");
    const problem = options.validate(payload);
    if (problem) return options.reject(response, 400, problem);
    messages.push(payload);
    options.accept(response);
  });
  return {
    url: `${server.url}${options.path}`,
    requests: server.requests,
    messages,
    failNext(status, scripted = {}) {
      script.push({ status, body: scripted.body ?? `HTTP ${status}`, headers: scripted.headers ?? {} });
    },
    close: () => server.close(),
  };
}

// ── Slack ──────────────────────────────────────────────────────────────────────────────────────────────────────────
const SLACK_BLOCK_TYPES = new Set(["header", "section", "context", "divider", "actions", "image", "rich_text", "markdown"]);

function textLength(value: unknown): number | null {
  if (!isRecord(value) || (value.type !== "plain_text" && value.type !== "mrkdwn") || typeof value.text !== "string") return null;
  return Array.from(value.text).length;
}

function slackBlockProblem(block: unknown): boolean {
  if (!isRecord(block) || typeof block.type !== "string" || !SLACK_BLOCK_TYPES.has(block.type)) return true;
  switch (block.type) {
    case "header": {
      const length = textLength(block.text);
      return length === null || length > 150 || (block.text as { type: string }).type !== "plain_text";
    }
    case "section": {
      if (block.text === undefined && block.fields === undefined) return true;
      if (block.text !== undefined) {
        const length = textLength(block.text);
        if (length === null || length > 3000) return true;
      }
      if (block.fields !== undefined) {
        if (!Array.isArray(block.fields) || block.fields.length === 0 || block.fields.length > 10) return true;
        if (block.fields.some((field) => (textLength(field) ?? 2001) > 2000)) return true;
      }
      return false;
    }
    case "context":
      return !Array.isArray(block.elements) || block.elements.length === 0 || block.elements.length > 10;
    case "actions": {
      if (!Array.isArray(block.elements) || block.elements.length === 0 || block.elements.length > 25) return true;
      const ids = new Set<string>();
      for (const element of block.elements) {
        if (!isRecord(element) || element.type !== "button") return true;
        const length = textLength(element.text);
        if (length === null || length > 75) return true;
        if (element.url !== undefined && (typeof element.url !== "string" || element.url.length > 3000)) return true;
        if (element.style !== undefined && element.style !== "primary" && element.style !== "danger") return true;
        if (typeof element.action_id === "string") {
          if (ids.has(element.action_id)) return true;
          ids.add(element.action_id);
        }
      }
      return false;
    }
    default:
      return false;
  }
}

/** `POST /services/T…/B…/<secret>`: 200 "ok"; 400 invalid_blocks / no_text; 404 no_service for an unknown hook. */
export function startSlackFake(): Promise<ChatFake> {
  return startChatFake({
    path: "/services/T0001/B0001/slack-secret",
    authorized: (request) => request.url === "/services/T0001/B0001/slack-secret",
    validate(payload) {
      const { blocks, text } = payload;
      if (blocks === undefined) return typeof text === "string" && text !== "" ? null : "no_text";
      if (!Array.isArray(blocks) || blocks.length === 0 || blocks.length > 50) return "invalid_blocks";
      return blocks.some(slackBlockProblem) ? "invalid_blocks" : null;
    },
    accept: (response) => reply(response, 200, "ok"),
    reject: (response, status, code) => reply(response, status, code),
  });
}

// ── Teams ──────────────────────────────────────────────────────────────────────────────────────────────────────────
const TEAMS_PATH = "/workflows/0f1e2d3c/triggers/manual/paths/invoke";
const TEAMS_SIG = "teams-signature";

function adaptiveCardProblem(payload: Record<string, unknown>): string | null {
  const attachments = payload.attachments;
  if (!Array.isArray(attachments) || attachments.length === 0) return "the request needs an attachments array";
  const [first] = attachments as unknown[];
  if (!isRecord(first) || first.contentType !== "application/vnd.microsoft.card.adaptive")
    return "attachments[0].contentType must be application/vnd.microsoft.card.adaptive";
  const card = first.content;
  if (!isRecord(card) || card.type !== "AdaptiveCard") return "attachments[0].content.type must be AdaptiveCard";
  if (typeof card.version !== "string" || !/^1\.[0-6]$/.test(card.version)) return "the card needs a version 1.0–1.6";
  if (!Array.isArray(card.body) || card.body.some((element) => !isRecord(element) || typeof element.type !== "string"))
    return "the card body must be an array of elements";
  if (card.actions !== undefined) {
    if (!Array.isArray(card.actions)) return "actions must be an array";
    for (const action of card.actions) {
      if (!isRecord(action) || typeof action.type !== "string" || !action.type.startsWith("Action.")) return "bad action";
      if (action.type === "Action.OpenUrl" && (typeof action.url !== "string" || typeof action.title !== "string"))
        return "Action.OpenUrl needs a url and a title";
    }
  }
  return null;
}

/**
 * A Power Automate "When a Teams webhook request is received" trigger: `?api-version=1&sig=…`; 202 Accepted with an
 * empty body once the flow is queued; 400 (JSON error) when the card is malformed.
 */
export function startTeamsFake(): Promise<ChatFake> {
  return startChatFake({
    path: `${TEAMS_PATH}?api-version=1&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=${TEAMS_SIG}`,
    authorized: (request) => new URL(request.url, "http://fake").searchParams.get("sig") === TEAMS_SIG,
    validate: (payload) => (payload.type === "message" ? adaptiveCardProblem(payload) : "type must be message"),
    accept: (response) => {
      response.writeHead(202, { "content-length": "0" });
      response.end();
    },
    reject: (response, status, message) => {
      response.writeHead(status, { "content-type": "application/json" });
      const code = status === 404 ? "WorkflowNotFound" : "InvalidRequestContent";
      response.end(JSON.stringify({ error: { code, message } }));
    },
  });
}
