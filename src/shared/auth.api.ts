import { type Static, Type } from "typebox";
import { Nullable, Slug } from "./api.ts";

/** The HTTP contract of users, project members, browser sessions and API tokens (`/api/v1`). */

const Timestamp = Type.String({ format: "date-time" });

export const RoleSchema = Type.Union(
  [Type.Literal("viewer"), Type.Literal("developer"), Type.Literal("approver"), Type.Literal("admin")],
  { description: "viewer < developer < approver < admin; each includes the ones before it" },
);

export const Username = Type.String({
  pattern: "^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$",
  description: "letters, digits and . _ @ + -; compared without regard to case (stored in lowercase)",
});

// ── users and members ───────────────────────────────────────────────────────────────────────────────────────────
export const CreateUserBody = Type.Object(
  {
    username: Username,
    password: Type.Optional(Type.String({ minLength: 12, maxLength: 1024, description: "none: the user signs in by OIDC" })),
    displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    email: Type.Optional(Type.String({ maxLength: 320, pattern: "^[^@\\s]+@[^@\\s]+$" })),
    globalAdmin: Type.Optional(Type.Boolean({ default: false })),
  },
  { additionalProperties: false },
);
export type CreateUserBody = Static<typeof CreateUserBody>;

export const User = Type.Object({
  username: Type.String(),
  displayName: Nullable(Type.String()),
  email: Nullable(Type.String()),
  globalAdmin: Type.Boolean(),
  disabled: Type.Boolean(),
  createdAt: Timestamp,
});
export type User = Static<typeof User>;

export const SetMemberBody = Type.Object({ username: Username, role: RoleSchema }, { additionalProperties: false });
export type SetMemberBody = Static<typeof SetMemberBody>;

export const Member = Type.Object({
  username: Type.String(),
  displayName: Nullable(Type.String()),
  role: RoleSchema,
  createdAt: Timestamp,
});
export type Member = Static<typeof Member>;

// ── browser sessions ────────────────────────────────────────────────────────────────────────────────────────────
export const LoginBody = Type.Object(
  { username: Type.String({ minLength: 1, maxLength: 200 }), password: Type.String({ minLength: 1, maxLength: 1024 }) },
  { additionalProperties: false },
);
export type LoginBody = Static<typeof LoginBody>;

export const SessionInfo = Type.Object({
  user: Type.Object({ username: Type.String(), displayName: Nullable(Type.String()), globalAdmin: Type.Boolean() }),
  csrfToken: Type.String({ description: "send as X-CSRF-Token on every POST/PUT/PATCH/DELETE made with the session cookie" }),
  expiresAt: Timestamp,
});
export type SessionInfo = Static<typeof SessionInfo>;

// ── API tokens ──────────────────────────────────────────────────────────────────────────────────────────────────
export const TokenKindSchema = Type.Union([Type.Literal("personal"), Type.Literal("service")], {
  description: "personal: acts as its user, never above the user's roles; service: a role of its own (global admins only)",
});
export type TokenKind = Static<typeof TokenKindSchema>;

export const CreateTokenBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    kind: Type.Optional(TokenKindSchema),
    role: Type.Optional(RoleSchema),
    projects: Type.Optional(
      Type.Array(Slug, { minItems: 1, maxItems: 100, description: "only these projects (default: every project)" }),
    ),
    expiresInDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650 })),
    globalAdmin: Type.Optional(
      Type.Boolean({ description: "service tokens only, role admin, every project: may manage users and tokens" }),
    ),
  },
  { additionalProperties: false },
);
export type CreateTokenBody = Static<typeof CreateTokenBody>;

const tokenFields = {
  id: Type.String(),
  name: Type.String(),
  kind: TokenKindSchema,
  role: RoleSchema,
  projects: Nullable(Type.Array(Type.String(), { description: "project slugs; null: every project" })),
  globalAdmin: Type.Boolean(),
  expiresAt: Nullable(Timestamp),
  createdAt: Timestamp,
};

export const CreatedToken = Type.Object({
  ...tokenFields,
  token: Type.String({ description: "shown once; only its SHA-256 is stored" }),
});
export type CreatedToken = Static<typeof CreatedToken>;

export const TokenInfo = Type.Object({
  ...tokenFields,
  owner: Nullable(Type.String({ description: "the user of a personal token" })),
  createdBy: Nullable(Type.String()),
  lastUsedAt: Nullable(Timestamp),
  revokedAt: Nullable(Timestamp),
});
export type TokenInfo = Static<typeof TokenInfo>;
