import type { FlagChange, FlagChangeStatus } from "../../shared/flags/flags.api.ts";
import type { AttributeCondition, FlagSet, FlagType, FlagValue, Rollout, TargetingRule } from "../../shared/flags/flags.types.ts";
import type { ApprovalPolicy } from "../approvals/approvals.types.ts";

export interface FlagRecord {
  id: string;
  projectId: string;
  key: string;
  type: FlagType;
  description: string;
  owner: string | null;
  tags: string[];
  variants: Record<string, FlagValue>;
  createdBy: string | null;
  createdAt: string;
  updatedAt: string;
}

/** A flag's configuration in one environment. */
export interface FlagStateRecord {
  flagId: string;
  environmentId: string;
  enabled: boolean;
  defaultVariant: string;
  offVariant: string;
  rules: TargetingRule[];
  rollout: Rollout | null;
  updatedBy: string | null;
  updatedAt: string;
}

export interface SegmentRecord {
  id: string;
  projectId: string;
  key: string;
  description: string;
  conditions: AttributeCondition[];
  updatedAt: string;
}

/** One immutable flag-set version of an environment: who, when, why, what changed, and the whole set as it then was. */
export interface FlagSetVersionRecord {
  environmentId: string;
  version: number;
  projectId: string;
  actor: string;
  reason: string | null;
  changes: FlagChange[];
  snapshot: FlagSet;
  createdAt: string;
}

export interface SdkKeyRecord {
  id: string;
  projectId: string;
  environmentId: string;
  name: string;
  keyHash: string;
  createdBy: string | null;
  createdAt: string;
  revokedAt: string | null;
}

/** The environment an OFREP or SDK request is scoped to, from its SDK key. */
export interface SdkScope {
  keyId: string;
  keyHash: string;
  projectId: string;
  environmentId: string;
}

/** One flag's patch in a change request. */
export interface RequestedPatch {
  flag: string;
  patch: Record<string, unknown>;
}

/** A change to one environment's flags that is scheduled and/or waits for approval. */
export interface ChangeRequestRecord {
  id: string;
  projectId: string;
  environmentId: string;
  /** The audit action the change applies as (flag.state_changed, flag.rollout_changed, flag.promoted, flag.restored). */
  action: string;
  patches: RequestedPatch[];
  reason: string | null;
  author: string;
  authorId: string | null;
  status: FlagChangeStatus;
  applyAt: string | null;
  expiresAt: string | null;
  /** The environment's approval policy when the change was requested; null when it needs none. */
  policy: ApprovalPolicy | null;
  appliedVersion: number | null;
  error: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface ChangeDecisionRecord {
  changeId: string;
  userId: string;
  user: string;
  decision: "approve" | "reject";
  comment: string | null;
  groups: string[];
  at: string;
}

/** The PostgreSQL channel a committed flag-set version is announced on; payload `<environmentId>:<version>`. */
export const FLAG_VERSIONS_CHANNEL = "stagegate_flag_versions";
