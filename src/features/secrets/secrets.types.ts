import { type Static, Type } from "typebox";

/** A secret as the API shows it: never the value. */
export const SecretInfo = Type.Object({
  name: Type.String(),
  /** null: for every environment of the project. */
  environment: Type.Union([Type.String(), Type.Null()]),
  version: Type.Integer(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
  updatedBy: Type.Union([Type.String(), Type.Null()]),
});
export type SecretInfo = Static<typeof SecretInfo>;

export const SetSecretBody = Type.Object(
  {
    value: Type.String({ minLength: 1, maxLength: 65_536, description: "The secret; stored encrypted, never returned" }),
    environment: Type.Optional(
      Type.String({ minLength: 1, maxLength: 100, description: "Only for this environment (default: all of the project's)" }),
    ),
  },
  { additionalProperties: false },
);
export type SetSecretBody = Static<typeof SetSecretBody>;
