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
