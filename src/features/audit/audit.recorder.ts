import type { AuditService } from "./audit.service.ts";

/** What other features need of the audit log: append an event inside their own transaction. */
export type AuditRecorder = Pick<AuditService, "append">;
