import { CommanderError } from "commander";
import { ApiError } from "../sdk/errors.ts";
import { errorMessage } from "../shared/errors.ts";

/** The CLI's exit codes; scripts rely on them, so they never change meaning. */
export const ExitCode = { ok: 0, failed: 1, usage: 2, notFound: 3 } as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Wrong or missing input noticed by the CLI itself (unreadable file, a value that cannot work). Exit 2. */
export class UsageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "UsageError";
  }
}

export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  if (error instanceof UsageError) return ExitCode.usage;
  if (error instanceof ApiError) return apiExitCode(error);
  return ExitCode.failed;
}

/**
 * 403s the approval policy answers: the caller may act here, but this person may not decide on this deployment. The
 * operation was refused (exit 1), unlike a missing role or token (exit 3).
 */
const POLICY_REFUSALS: readonly string[] = ["self_approval", "not_an_approver"];

function apiExitCode(error: ApiError): ExitCode {
  if (error.status === 403 && POLICY_REFUSALS.includes(error.code)) return ExitCode.failed;
  if (error.status === 401 || error.status === 403 || error.isNotFound) return ExitCode.notFound;
  // The server rejected what was typed (a malformed version, an invalid stagegate.yaml): a usage error.
  if (error.status === 400 || error.status === 413 || error.status === 415 || error.status === 422) return ExitCode.usage;
  return ExitCode.failed;
}

/** `error: <message> (<code>)`, then the server's details and a hint where one helps. */
export function formatError(error: unknown): string {
  if (error instanceof ApiError) {
    const lines = [`error: ${error.message} (${error.code})`];
    for (const [key, value] of Object.entries(error.details ?? {})) {
      lines.push(`  ${key}: ${typeof value === "string" ? value : JSON.stringify(value)}`);
    }
    const hint = hintFor(error);
    if (hint) lines.push(`hint: ${hint}`);
    return `${lines.join("\n")}\n`;
  }
  if (error instanceof UsageError) return `error: ${error.message} (usage)\n`;
  const message = errorMessage(error);
  return `error: ${message}\n`;
}

function hintFor(error: ApiError): string | undefined {
  if (error.status === 401) {
    return "check --token or STAGEGATE_TOKEN, or sign in with stagegate login (a local server writes its admin token to ./data/admin-token)";
  }
  // The server's message already says why this person may not decide; "the token lacks the role" would mislead.
  if (POLICY_REFUSALS.includes(error.code)) return undefined;
  if (error.status === 403) return "the token lacks the role for this; ask an admin or use another token (--token)";
  return undefined;
}
