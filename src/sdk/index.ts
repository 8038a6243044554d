export type * from "../shared/api.ts";
export type * from "../shared/reports.api.ts";
export { type ApplyConfigOptions, type DeploymentQuery, StagegateClient } from "./client.ts";
export { ApiError } from "./errors.ts";
export { type PageRequest, paginate } from "./paginate.ts";
export type { ByteSource, CommitKindReport, CommitReport, ReportRunQuery, UploadReportOptions } from "./reports.ts";
export type { StagegateClientOptions } from "./transport.ts";
