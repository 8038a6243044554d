/** Roles arrive with the approvals issue; until then every token is an admin token. */
export type Role = "admin";

export interface ApiToken {
  id: string;
  name: string;
  role: Role;
  createdBy: string | null;
  createdAt: string;
  expiresAt: string | null;
}

/** Who is calling: what routes receive after authentication. */
export interface Actor {
  tokenId: string;
  name: string;
  role: Role;
}
