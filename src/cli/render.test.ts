import { describe, expect, it } from "vitest";
import type { Deployment } from "../shared/api.ts";
import { deploymentFields, deploymentStarted } from "./render.ts";

const running: Deployment = {
  id: "dep_1",
  project: "demo",
  environment: "live",
  release: "1.4.0",
  kind: "deploy",
  status: "running",
  reason: null,
  step: { index: 0, name: "migrate", attempt: 0 },
  externalId: null,
  externalUrl: null,
  createdBy: "admin",
  createdAt: "2026-11-25T10:00:00.000Z",
  startedAt: "2026-11-25T10:00:01.000Z",
  finishedAt: null,
};

describe("deployment rendering", () => {
  it("counts steps and attempts from 1, as the deployment log does", () => {
    expect(deploymentFields(running)).toMatch(/^Step:\s+migrate \(step 1, attempt 1\)$/m);
    expect(deploymentFields({ ...running, step: { index: 1, name: "swap", attempt: 2 } })).toMatch(
      /^Step:\s+swap \(step 2, attempt 3\)$/m,
    );
  });

  it("tells how to follow a deployment that has not ended, and not one that has", () => {
    expect(deploymentStarted(running)).toBe(
      "deployment dep_1 (deploy of 1.4.0 to live): running\nfollow it: stagegate deploy log dep_1 --follow",
    );
    const done = { ...running, status: "succeeded" as const, finishedAt: "2026-11-25T10:00:06.000Z" };
    expect(deploymentStarted(done)).toBe("deployment dep_1 (deploy of 1.4.0 to live): succeeded after 5s");
  });
});
