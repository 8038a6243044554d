/**
 * Tables of the secrets feature (migration 0010_secrets). Values are stored only as AES-256-GCM ciphertext
 * (`v1:<keyId>:<iv>:<tag>:<ciphertext>`, base64 parts); the key never touches the database.
 */
export interface SecretsTable {
  id: string;
  project_id: string;
  /** The environment the value is for; `""` for every environment of the project. */
  environment: string;
  name: string;
  ciphertext: string;
  /** Which key encrypted it (first 16 hex of the key's SHA-256), so old keys can still decrypt after a rotation. */
  key_id: string;
  /** 1 on first set, +1 on every change. */
  version: number;
  created_at: string;
  updated_at: string;
  updated_by: string | null;
}

export interface SecretsDatabase {
  secrets: SecretsTable;
}
