import type { Command } from "commander";
import { type AuditFilterOptions, addAuditFilterOptions, auditFilter } from "../audit-filter.ts";
import type { CliContext, Writer } from "../context.ts";
import { examples } from "../options.ts";

export function registerAuditExport(audit: Command, ctx: CliContext): void {
  addAuditFilterOptions(
    audit.command("export").description("write audit events to stdout as NDJSON, oldest first; plain NDJSON whatever -o says"),
  )
    .addHelpText(
      "after",
      examples(
        "stagegate audit export > audit.ndjson",
        "stagegate audit verify --file audit.ndjson",
        "stagegate audit export -p demo",
      ),
    )
    .action(async (options: AuditFilterOptions) => {
      const filter = auditFilter(options);
      let count = 0;
      for await (const line of ctx.client().exportAudit(filter)) {
        await write(ctx.io.stdout, `${line}\n`);
        count += 1;
      }
      ctx.note(`exported ${count} audit events`);
      if (Object.keys(filter).length > 0)
        ctx.note("a filtered export leaves gaps in the chain: `audit verify --file` needs a full one");
    });
}

/** Waits for a full pipe to drain, so a large export streams instead of piling up in memory. */
async function write(out: Writer, text: string): Promise<void> {
  if (out.write(text) !== false) return;
  const stream = out as Writer & { once?: (event: string, listener: () => void) => unknown };
  if (typeof stream.once === "function") await new Promise<void>((resolve) => stream.once?.("drain", resolve));
}
