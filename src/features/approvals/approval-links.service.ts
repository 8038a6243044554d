import { randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import type { Database } from "../../db/schema.ts";
import { serverSecret } from "../../db/server-secrets.ts";
import type { Clock } from "../../shared/clock.ts";
import { DomainError } from "../../shared/errors.ts";
import { hmacSha256Hex, safeEqual } from "../../shared/hashing.ts";
import type { Actor } from "../../shared/roles.ts";
import { consumeLink, releaseLink } from "./approval-links.store.ts";
import type { ApprovalState, ApprovalsService } from "./approvals.service.ts";

export type LinkAction = "approve" | "reject";

interface LinkPayload {
  d: string;
  a: LinkAction;
  e: number;
  n: string;
}

function invalidLink(why: string): DomainError {
  return new DomainError(
    "invalid_request",
    `This approval link cannot be used: ${why}. Open the deployment in stagegate instead.`,
  );
}

/**
 * Approval links for notifications: `v1.<payload>.<hmac>`, signed with a server secret kept in the database, expiring
 * with the approval window and usable once. Opening one leads to the dashboard's approval page; only the POST from it, by a
 * signed-in approver, decides.
 */
export function createApprovalLinks(deps: {
  db: Kysely<Database>;
  clock: Clock;
  approvals: ApprovalsService;
  publicUrl: string;
}) {
  let secret: Promise<string> | undefined;
  const key = () => {
    secret ??= serverSecret(deps.db, "approval_links", randomBytes(32).toString("base64url"), deps.clock.now().toISOString());
    return secret;
  };

  async function sign(payload: LinkPayload): Promise<string> {
    const body = Buffer.from(JSON.stringify(payload)).toString("base64url");
    return `v1.${body}.${hmacSha256Hex(await key(), `v1.${body}`)}`;
  }

  async function linksFor(deploymentId: string, expiresAt: Date): Promise<{ approve: string; reject: string }> {
    const make = async (a: LinkAction) =>
      `${deps.publicUrl}/approve/${await sign({ d: deploymentId, a, e: expiresAt.getTime(), n: randomBytes(12).toString("base64url") })}`;
    return { approve: await make("approve"), reject: await make("reject") };
  }

  /** Checks signature and expiry (not use): what the confirmation page shows. */
  async function read(token: string): Promise<{ deploymentId: string; action: LinkAction; expiresAt: string; nonce: string }> {
    const [version, body, mac] = token.split(".");
    if (version !== "v1" || !body || !mac) throw invalidLink("it is malformed");
    if (!safeEqual(hmacSha256Hex(await key(), `v1.${body}`), mac)) throw invalidLink("its signature does not match");
    let payload: LinkPayload;
    try {
      payload = JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as LinkPayload;
    } catch {
      throw invalidLink("it is malformed");
    }
    if (payload.e <= deps.clock.now().getTime()) throw invalidLink(`it expired at ${new Date(payload.e).toISOString()}`);
    return { deploymentId: payload.d, action: payload.a, expiresAt: new Date(payload.e).toISOString(), nonce: payload.n };
  }

  /** The decision a signed-in person confirms on the page; the link is spent once it succeeds. */
  async function use(token: string, actor: Actor, comment: string | null): Promise<ApprovalState> {
    const link = await read(token);
    const at = deps.clock.now().toISOString();
    if (!(await consumeLink(deps.db, { nonce: link.nonce, deploymentId: link.deploymentId, usedBy: actor.name, at }))) {
      throw invalidLink("it was already used");
    }
    try {
      return await deps.approvals.decide({ deploymentId: link.deploymentId, actor, decision: link.action, comment });
    } catch (error) {
      // A refused decision (wrong person, missing comment) leaves the link for the right one.
      await releaseLink(deps.db, link.nonce);
      throw error;
    }
  }

  return { linksFor, read, use };
}

export type ApprovalLinks = ReturnType<typeof createApprovalLinks>;
