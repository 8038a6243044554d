import type { Command } from "commander";
import type { PageOf } from "../../shared/api.ts";
import type { AuditEvent } from "../../shared/audit.api.ts";
import { type AuditFilterOptions, addAuditFilterOptions, auditFilter } from "../audit-filter.ts";
import type { CliContext } from "../context.ts";
import { cursorOption, examples, limitOption } from "../options.ts";
import { formatTable } from "../output.ts";
import { morePages } from "../render.ts";

interface ListOptions extends AuditFilterOptions {
  limit: number;
  cursor?: string;
}

const DATA_WIDTH = 80;

export function registerAuditList(audit: Command, ctx: CliContext): void {
  addAuditFilterOptions(audit.command("list").description("list audit events, newest first"))
    .addOption(limitOption(20))
    .addOption(cursorOption())
    .addHelpText(
      "after",
      examples(
        "stagegate audit list",
        "stagegate audit list -p demo --subject deployment:dep_01jd7x3k2m",
        "stagegate audit list --actor ci",
      ),
    )
    .action(async (options: ListOptions) => {
      const filter = auditFilter(options);
      const page = await ctx
        .client()
        .listAudit({ ...filter, limit: options.limit, ...(options.cursor ? { cursor: options.cursor } : {}) });
      if (!ctx.json && page.items.length === 0) return ctx.note("no audit events match");
      ctx.emit(page, renderEvents);
      const flags = Object.entries(filter).map(([name, value]) => ` --${name} ${value}`);
      const more = morePages(`stagegate audit list${flags.join("")} --limit ${options.limit}`, page.nextCursor);
      if (more && !ctx.json) ctx.note(more);
    });
}

function renderEvents(page: PageOf<AuditEvent>): string {
  return formatTable(
    ["SEQ", "TIME", "ACTOR", "ACTION", "SUBJECT", "DATA"],
    page.items.map((event) => [
      String(event.seq),
      event.at,
      event.actor,
      event.action,
      `${event.subject.type}:${event.subject.id}`,
      summarize(event.data),
    ]),
  );
}

function summarize(data: Record<string, unknown>): string {
  const text = JSON.stringify(data);
  if (text === "{}") return "";
  return [...text].length > DATA_WIDTH ? `${[...text].slice(0, DATA_WIDTH - 1).join("")}…` : text;
}
