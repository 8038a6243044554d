import { type Static, Type } from "typebox";
import { type FreezeWindow, FreezeWindowsSchema } from "./freeze.ts";

const Duration = Type.Union([Type.String({ minLength: 1 }), Type.Number({ minimum: 0 })]);

/** `approval:` of an environment in stagegate.yaml. */
export const ApprovalPolicySchema = Type.Object(
  {
    groups: Type.Array(
      Type.Object(
        {
          name: Type.String({ minLength: 1, maxLength: 100 }),
          members: Type.Array(Type.String({ minLength: 1, maxLength: 200 }), {
            minItems: 1,
            description:
              "usernames, @role (e.g. @approver: anyone with that role or higher in the project) or group:<OIDC group>",
          }),
          required: Type.Optional(Type.Integer({ minimum: 1, maximum: 50, default: 1 })),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 10 },
    ),
    allowSelfApproval: Type.Optional(Type.Boolean({ default: false })),
    expiresAfter: Type.Optional(Duration),
    waitTimer: Type.Optional(Duration),
    freezeWindows: Type.Optional(FreezeWindowsSchema),
  },
  { additionalProperties: false },
);
export type ApprovalPolicyInput = Static<typeof ApprovalPolicySchema>;

/** The policy as stored in the environment spec, durations in milliseconds. */
export interface ApprovalPolicy {
  groups: { name: string; members: string[]; required: number }[];
  allowSelfApproval: boolean;
  expiresAfterMs: number;
  waitTimerMs: number;
  freezeWindows?: FreezeWindow[];
}

export interface Decision {
  deploymentId: string;
  user: string;
  userId: string;
  decision: "approve" | "reject";
  comment: string | null;
  groups: string[];
  releaseDigest: string | null;
  at: string;
}

export const APPROVAL_EXPIRY_JOB = "approval.expire";
export const DEFAULT_EXPIRY_MS = 24 * 3_600_000;
