import type { Command } from "commander";
import type { AuditFilterQuery } from "../sdk/audit.ts";

export interface AuditFilterOptions {
  project?: string;
  subject?: string;
  actor?: string;
  action?: string;
}

/** The filters `audit list` and `audit export` share; all optional. */
export function addAuditFilterOptions(command: Command): Command {
  return command
    .option("-p, --project <slug>", "only events of this project")
    .option("--subject <type[:id]>", "only events about this subject, e.g. deployment:dep_01jd7x3k2m or just deployment")
    .option("--actor <name>", "only events by this token or user")
    .option("--action <action>", "only this action, e.g. deployment.promoted");
}

export function auditFilter(options: AuditFilterOptions): AuditFilterQuery {
  return {
    ...(options.project ? { project: options.project } : {}),
    ...(options.subject ? { subject: options.subject } : {}),
    ...(options.actor ? { actor: options.actor } : {}),
    ...(options.action ? { action: options.action } : {}),
  };
}
