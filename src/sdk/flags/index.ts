export { compileFlagSet, evaluateFlag } from "../../shared/flags/evaluator.ts";
export type * from "../../shared/flags/flags.api.ts";
export type * from "../../shared/flags/flags.types.ts";
export { bucketOf, murmur3 } from "../../shared/flags/murmur3.ts";
export { FlagClient, type FlagClientOptions, type FlagClientState } from "./flag-client.ts";
export { FlagsAdminClient } from "./flags-admin.client.ts";
export { StagegateProvider } from "./openfeature.provider.ts";
