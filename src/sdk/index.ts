export type * from "../shared/api.ts";
export type * from "../shared/audit.api.ts";
export { auditHash, GENESIS_HASH as AUDIT_GENESIS_HASH, verifyLines } from "../shared/audit-verify.ts";
export type * from "../shared/auth.api.ts";
export type * from "../shared/reports.api.ts";
export type * from "../shared/runs.api.ts";
export type {
  ApprovalDecision,
  ApprovalGroupState,
  ApprovalState,
  ApproveReleaseBody,
  PendingApproval,
} from "./approvals.ts";
export type { AuditFilterQuery, AuditQuery } from "./audit.ts";
export type { LoginResult } from "./auth.ts";
export { type ApplyConfigOptions, type DeploymentQuery, StagegateClient } from "./client.ts";
export { ApiError } from "./errors.ts";
export * from "./flags/index.ts";
export { type PageRequest, paginate } from "./paginate.ts";
export type { ByteSource, CommitKindReport, CommitReport, ReportRunQuery, UploadReportOptions } from "./reports.ts";
export {
  type IngestAnswer,
  type LogQuery,
  type LogRecordDto,
  RUN_END_STATUSES,
  RUN_STATUSES,
  type RunDto,
  type RunEndStatus,
  type RunListQuery,
  RunsClient,
} from "./runs.ts";
export type { StagegateClientOptions } from "./transport.ts";
