import { type Command, InvalidArgumentError, Option } from "commander";
import type { FlagChangeRequest, FlagChangeStatus } from "../../shared/flags/flags.api.ts";
import { FLAG_CHANGE_STATUSES } from "../../shared/flags/flags.api.ts";
import type { CliContext } from "../context.ts";
import { cursorOption, examples, limitOption, projectOption } from "../options.ts";
import { formatFields, formatTable, NONE, relativeTime } from "../output.ts";
import { morePages } from "../render.ts";
import { flagsClient } from "./flag-client.ts";

/** `--at <ISO time>`: apply the change then instead of now. */
export const atOption = () =>
  new Option("--at <time>", "apply at this time (ISO 8601, e.g. 2026-12-24T06:00:00Z) instead of now").argParser(
    (value: string) => {
      const at = Date.parse(value);
      if (Number.isNaN(at)) throw new InvalidArgumentError("expected an ISO 8601 date-time, e.g. 2026-12-24T06:00:00Z");
      return new Date(at).toISOString();
    },
  );

export function isChangeRequest(value: object): value is FlagChangeRequest {
  return "status" in value && "patches" in value;
}

/** A flag change that was scheduled or waits for approval. */
export function renderChangeRequest(change: FlagChangeRequest): string {
  const waiting = change.approval?.groups
    .map((g) => `${g.name} ${g.approvedBy.length}/${g.required}${g.approvedBy.length ? ` (${g.approvedBy.join(", ")})` : ""}`)
    .join(", ");
  return formatFields([
    ["Change", change.id],
    ["Status", change.status],
    ["Environment", change.environment],
    ["Action", change.action],
    ["Flags", change.patches.map((p) => `${p.flag} ${JSON.stringify(p.patch)}`).join("; ")],
    ["Author", change.author],
    ["Reason", change.reason ?? NONE],
    ["Applies at", change.applyAt ?? (change.status === "pending_approval" ? "when approved" : NONE)],
    ["Approvals", waiting ?? NONE],
    ["Version", change.appliedVersion === null ? NONE : String(change.appliedVersion)],
    ...(change.error ? ([["Error", change.error]] as const) : []),
  ]);
}

export function registerFlagChangeCommands(flag: Command, ctx: CliContext): void {
  flag
    .command("changes")
    .description("scheduled flag changes and changes waiting for approval, newest first")
    .addOption(projectOption())
    .option("-e, --env <environment>", "only this environment")
    .addOption(new Option("--status <status>", "only this status").choices([...FLAG_CHANGE_STATUSES]))
    .addOption(limitOption(50))
    .addOption(cursorOption())
    .addHelpText("after", examples("stagegate flag changes -p demo --status pending_approval"))
    .action(async (options: { project: string; env?: string; status?: FlagChangeStatus; limit?: number; cursor?: string }) => {
      const page = await flagsClient(ctx).listFlagChanges(options.project, {
        ...(options.env ? { environment: options.env } : {}),
        ...(options.status ? { status: options.status } : {}),
        ...(options.limit ? { limit: options.limit } : {}),
        ...(options.cursor ? { cursor: options.cursor } : {}),
      });
      ctx.emit(page, (p) => {
        const rows = p.items.map((c) => [
          c.id,
          c.status,
          c.environment,
          c.patches.map((x) => x.flag).join(","),
          c.action.replace(/^flag\./, ""),
          c.author,
          c.applyAt ?? NONE,
          relativeTime(c.createdAt),
        ]);
        const table = formatTable(["CHANGE", "STATUS", "ENV", "FLAGS", "ACTION", "AUTHOR", "APPLIES AT", "CREATED"], rows);
        return table;
      });
      const more = morePages(`stagegate flag changes -p ${options.project}`, page.nextCursor);
      if (more && !ctx.json) ctx.note(more);
    });

  for (const verb of ["approve", "reject", "cancel"] as const) {
    const command = flag
      .command(verb)
      .description(
        verb === "approve"
          ? "approve a flag change; the last required approval applies it"
          : verb === "reject"
            ? "reject a flag change (needs a comment)"
            : "cancel a scheduled or pending flag change",
      )
      .argument("<change>", "change id (fcr…)")
      .addOption(projectOption());
    if (verb !== "cancel") command.option("-c, --comment <text>", "why");
    command
      .addHelpText("after", examples(`stagegate flag ${verb} -p demo fcr_0123${verb === "reject" ? " -c 'not today'" : ""}`))
      .action(async (id: string, options: { project: string; comment?: string }) => {
        const change = await flagsClient(ctx).decideFlagChange(options.project, id, verb, options.comment);
        ctx.emit(change, renderChangeRequest);
      });
  }
}
