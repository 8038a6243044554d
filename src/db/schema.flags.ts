export interface FlagsTable {
  id: string;
  project_id: string;
  key: string;
  type: string;
  description: string;
  owner: string | null;
  tags_json: string;
  variants_json: string;
  created_by: string | null;
  created_at: string;
  updated_at: string;
}

export interface FlagStatesTable {
  flag_id: string;
  environment_id: string;
  enabled: number;
  default_variant: string;
  off_variant: string;
  rules_json: string;
  rollout_json: string | null;
  updated_by: string | null;
  updated_at: string;
}

export interface FlagSegmentsTable {
  id: string;
  project_id: string;
  key: string;
  description: string;
  conditions_json: string;
  updated_at: string;
}

export interface FlagSetVersionsTable {
  environment_id: string;
  version: number;
  project_id: string;
  actor: string;
  reason: string | null;
  changes_json: string;
  snapshot_json: string;
  created_at: string;
}

export interface FlagSdkKeysTable {
  id: string;
  project_id: string;
  environment_id: string;
  name: string;
  key_hash: string;
  created_by: string | null;
  created_at: string;
  revoked_at: string | null;
}

export interface FlagEvaluationsTable {
  environment_id: string;
  flag_key: string;
  last_evaluated_at: string;
}

export interface FlagReleaseManifestsTable {
  release_id: string;
  project_id: string;
  manifest_json: string;
  created_by: string | null;
  created_at: string;
}

export interface FlagReleaseApplicationsTable {
  deployment_id: string;
  environment_id: string;
  release_id: string;
  kind: string;
  version_before: number;
  version_after: number;
  created_at: string;
}

export interface FlagChangeRequestsTable {
  id: string;
  project_id: string;
  environment_id: string;
  action: string;
  patches_json: string;
  reason: string | null;
  author: string;
  author_id: string | null;
  status: string;
  apply_at: string | null;
  expires_at: string | null;
  policy_json: string | null;
  applied_version: number | null;
  error: string | null;
  created_at: string;
  updated_at: string;
}

export interface FlagChangeDecisionsTable {
  change_id: string;
  user_id: string;
  user_name: string;
  decision: string;
  comment: string | null;
  groups_json: string;
  at: string;
}

/** The flag tables, merged into `Database` in schema.ts. */
export interface FlagsDatabase {
  flags: FlagsTable;
  flag_states: FlagStatesTable;
  flag_segments: FlagSegmentsTable;
  flag_set_versions: FlagSetVersionsTable;
  flag_sdk_keys: FlagSdkKeysTable;
  flag_evaluations: FlagEvaluationsTable;
  flag_release_manifests: FlagReleaseManifestsTable;
  flag_release_applications: FlagReleaseApplicationsTable;
  flag_change_requests: FlagChangeRequestsTable;
  flag_change_decisions: FlagChangeDecisionsTable;
}
