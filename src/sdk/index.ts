export type * from "../shared/api.ts";
export { type ApplyConfigOptions, type DeploymentQuery, StagegateClient, type StagegateClientOptions } from "./client.ts";
export { ApiError } from "./errors.ts";
export { type PageRequest, paginate } from "./paginate.ts";
