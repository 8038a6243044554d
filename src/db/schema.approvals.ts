export interface ApprovalDecisionsTable {
  id: string;
  deployment_id: string;
  user_id: string;
  username: string;
  decision: string;
  comment: string | null;
  groups_json: string;
  release_digest: string | null;
  created_at: string;
}

export interface ServerSecretsTable {
  name: string;
  value: string;
  created_at: string;
}

export interface ApprovalLinkUsesTable {
  nonce: string;
  deployment_id: string;
  used_by: string;
  used_at: string;
}
