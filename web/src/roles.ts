import { atLeast } from "../../src/shared/roles.ts";
import type { Role } from "./api/types.ts";

/** What a role may do, mirroring ROUTE_ROLES (src/http/roles.ts); the server checks again on every call. */
export const can = {
  promote: (role: Role | null | undefined) => atLeast(role ?? null, "developer"),
  rollback: (role: Role | null | undefined) => atLeast(role ?? null, "developer"),
  cancel: (role: Role | null | undefined) => atLeast(role ?? null, "developer"),
  approve: (role: Role | null | undefined) => atLeast(role ?? null, "approver"),
  administer: (role: Role | null | undefined) => atLeast(role ?? null, "admin"),
};
