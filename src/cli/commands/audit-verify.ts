import { open } from "node:fs/promises";
import type { Command } from "commander";
import type { AuditVerifyResult } from "../../shared/audit.api.ts";
import { verifyLines } from "../../shared/audit-verify.ts";
import { errorMessage } from "../../shared/errors.ts";
import type { CliContext } from "../context.ts";
import { ExitCode, UsageError } from "../errors.ts";
import { examples } from "../options.ts";

export function registerAuditVerify(audit: Command, ctx: CliContext): void {
  audit
    .command("verify")
    .description("check the audit log's hash chain on the server, or offline in an exported file; exit 1 if it is broken")
    .option("-f, --file <path>", "an NDJSON file from `stagegate audit export`, verified here without a server")
    .addHelpText("after", examples("stagegate audit verify", "stagegate audit verify --file audit.ndjson"))
    .action(async (options: { file?: string }) => {
      const result = options.file === undefined ? await ctx.client().verifyAudit() : await verifyFile(options.file);
      if (!result.ok) ctx.exitCode = ExitCode.failed;
      ctx.emit(result, renderResult);
      // The last hash is what to keep elsewhere: a chain cut short after it would still verify on its own.
      if (result.ok && !ctx.json && result.count > 0) ctx.note(`last hash: ${result.lastHash}`);
    });
}

async function verifyFile(file: string): Promise<AuditVerifyResult> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(file);
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${errorMessage(error)}`, { cause: error });
  }
  try {
    return await verifyLines(handle.readLines());
  } finally {
    await handle.close();
  }
}

function renderResult(result: AuditVerifyResult): string {
  return result.ok
    ? `OK: ${result.count} events, chain intact`
    : `BROKEN at seq ${result.brokenSeq}: ${result.message} (${result.count} events intact before it)`;
}
