import type { FlagChange } from "../../shared/flags/flags.api.ts";
import type { AttributeCondition, FlagSet, FlagType, FlagValue, Rollout, TargetingRule } from "../../shared/flags/flags.types.ts";

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
