import type { Logger } from "pino";
import type { Deployment } from "../../shared/api.ts";
import type { ProjectsService } from "./projects.service.ts";

/** Each demo deploy prints a few lines over ~3 seconds, like a small pipeline would. */
const DEPLOY_SCRIPT = [
  "const env = process.env.STAGEGATE_ENVIRONMENT, rel = process.env.STAGEGATE_RELEASE;",
  "const steps = ['resolving artifact ' + rel, 'uploading pipeline definition to ' + env, 'running smoke query', 'done'];",
  "steps.forEach((s, i) => setTimeout(() => console.log('[' + env + '] ' + s), i * 800));",
].join(" ");

export const DEMO_CONFIG = `# The demo project stagegate seeds on first start (STAGEGATE_DEMO=0 turns it off).
project: demo
name: Demo pipeline
repo: https://github.com/acme/demo-pipeline
environments:
  - name: quant
    autoDeploy: { branch: main }
    executor:
      type: shell
      config: { command: ["node", "-e", ${JSON.stringify(DEPLOY_SCRIPT)}], timeout: 2m }
  - name: quant_stg
    executor:
      type: shell
      config: { command: ["node", "-e", ${JSON.stringify(DEPLOY_SCRIPT)}], timeout: 2m }
  - name: live
    retries: 1
    backoff: 5s
    executor:
      type: shell
      config: { command: ["node", "-e", ${JSON.stringify(DEPLOY_SCRIPT)}], timeout: 2m }
`;

interface SeedDeps {
  projects: ProjectsService;
  releases: {
    create(
      project: Awaited<ReturnType<ProjectsService["record"]>>,
      input: { version: string; commitSha: string; branch: string; artifactUrl?: string; notes?: string },
      createdBy: string | null,
    ): Promise<unknown>;
  };
  deployments: {
    promote(input: {
      slug: string;
      version: string;
      environment: string;
      actor: string | null;
    }): Promise<{ deployment: Deployment }>;
    get(id: string): Promise<Deployment>;
  };
  logger: Logger;
}

/** True when the database has no project yet: the only time the demo is seeded. */
export async function shouldSeedDemo(projects: ProjectsService): Promise<boolean> {
  return (await projects.list({ limit: 1, cursor: undefined })).items.length === 0;
}

/**
 * Seeds project `demo`: release 1.0.0 is deployed for real through quant → quant_stg → live by the job runner (a few
 * seconds each), then 1.1.0 is created on main and auto-deploys to quant. Runs in the background after the server listens.
 */
export async function seedDemo(deps: SeedDeps): Promise<void> {
  await deps.projects.applyConfig("demo", DEMO_CONFIG, { prune: false });
  const project = await deps.projects.record("demo");
  await deps.releases.create(
    project,
    {
      version: "1.0.0",
      commitSha: "3f2a9c1d8e7b6a5f4c3d2e1f0a9b8c7d6e5f4a3b",
      branch: "release",
      artifactUrl: "s3://acme-artifacts/demo/1.0.0.whl",
      notes: "First release of the transcripts pipeline",
    },
    "demo",
  );
  for (const environment of ["quant", "quant_stg", "live"]) {
    const { deployment } = await deps.deployments.promote({ slug: "demo", version: "1.0.0", environment, actor: "demo" });
    const final = await waitForEnd(deps.deployments, deployment.id);
    if (final.status !== "succeeded") {
      deps.logger.warn(
        { environment, status: final.status, reason: final.reason },
        "demo seed: deploy did not succeed; stopping the seed here",
      );
      return;
    }
  }
  await deps.releases.create(
    project,
    {
      version: "1.1.0",
      commitSha: "9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c",
      branch: "main",
      artifactUrl: "s3://acme-artifacts/demo/1.1.0.whl",
      notes: "Snowflake auth moved to the shared module",
    },
    "demo",
  );
  deps.logger.info("demo project seeded: 1.0.0 is live, 1.1.0 auto-deploys to quant");
}

async function waitForEnd(deployments: SeedDeps["deployments"], id: string): Promise<Deployment> {
  for (;;) {
    const deployment = await deployments.get(id);
    if (!["queued", "running", "pending_gates", "pending_approval"].includes(deployment.status)) return deployment;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
