import { describe, expect, it } from "vitest";
import { usernameFor } from "./oidc.provision.ts";
import { safeReturnTo } from "./oidc.service.ts";
import { managedByMapping, oidcSettings, rolesForGroups } from "./oidc.settings.ts";

const base = {
  OIDC_SCOPES: "openid profile email groups",
  OIDC_GROUPS_CLAIM: "groups",
  OIDC_GROUP_ROLES: "{}",
  OIDC_DISPLAY_NAME: "SSO",
  publicUrl: "https://sg.acme.test",
};
const full = { ...base, OIDC_ISSUER_URL: "https://idp.acme.test", OIDC_CLIENT_ID: "sg", OIDC_CLIENT_SECRET: "s3cret" };

describe("oidcSettings", () => {
  it("is off without an issuer, and derives the callback from the public URL", () => {
    expect(oidcSettings(base)).toBeNull();
    expect(oidcSettings(full)?.redirectUrl.href).toBe("https://sg.acme.test/api/v1/auth/oidc/callback");
  });

  it("refuses a half setup, a plain-http issuer off loopback, and a mapping that is not group → role", () => {
    expect(() => oidcSettings({ ...full, OIDC_CLIENT_SECRET: undefined })).toThrow(/OIDC_CLIENT_SECRET/);
    expect(() => oidcSettings({ ...full, OIDC_ISSUER_URL: "http://idp.acme.test" })).toThrow(/must be https/);
    expect(oidcSettings({ ...full, OIDC_ISSUER_URL: "http://127.0.0.1:9000" })?.issuer.href).toBe("http://127.0.0.1:9000/");
    expect(() => oidcSettings({ ...full, OIDC_GROUP_ROLES: "{not json" })).toThrow(/not JSON/);
    expect(() => oidcSettings({ ...full, OIDC_GROUP_ROLES: '{"quants":{"shop":"owner"}}' })).toThrow(/OIDC_GROUP_ROLES/);
    expect(() => oidcSettings({ ...full, OIDC_GROUP_ROLES: '{"quants":"admin"}' })).toThrow(/OIDC_GROUP_ROLES/);
  });
});

describe("group mapping", () => {
  const mapping = {
    platform: "global_admin",
    quants: { shop: "developer", ops: "viewer" },
    leads: { shop: "approver" },
  } as const;

  it("gives the highest role any group grants per project, and global admin from its group", () => {
    const granted = rolesForGroups(mapping, ["quants", "leads", "unknown"]);
    expect(granted.globalAdmin).toBe(false);
    expect(Object.fromEntries(granted.projects)).toEqual({ shop: "approver", ops: "viewer" });
    expect(rolesForGroups(mapping, ["platform"]).globalAdmin).toBe(true);
    expect(rolesForGroups(mapping, []).projects.size).toBe(0);
  });

  it("manages only the projects and the global admin flag it names", () => {
    expect(managedByMapping(mapping)).toEqual({ globalAdmin: true, projects: new Set(["shop", "ops"]) });
    expect(managedByMapping({ quants: { shop: "viewer" } }).globalAdmin).toBe(false);
  });
});

describe("usernameFor", () => {
  const profile = {
    issuer: "https://idp",
    subject: "248289761001",
    preferredUsername: null,
    displayName: null,
    email: null,
    groups: [],
  };

  it("takes preferred_username, else email, else the subject, within the username rules", () => {
    expect(usernameFor({ ...profile, preferredUsername: "Jane.Doe" })).toBe("jane.doe");
    expect(usernameFor({ ...profile, email: "jane@acme.test" })).toBe("jane@acme.test");
    expect(usernameFor({ ...profile, preferredUsername: "Jane Doe (ML)" })).toBe("jane-doe--ml-");
    expect(usernameFor(profile)).toBe("248289761001");
    expect(usernameFor({ ...profile, subject: "..." })).toMatch(/^oidc-[0-9a-f]{16}$/);
  });
});

describe("safeReturnTo", () => {
  it("keeps paths on this server and sends everything else home", () => {
    expect(safeReturnTo("/projects/shop?tab=1")).toBe("/projects/shop?tab=1");
    for (const evil of [undefined, "", "https://evil.test", "//evil.test/x", "/\\evil.test", "javascript:alert(1)"]) {
      expect(safeReturnTo(evil)).toBe("/");
    }
  });
});
