import type { InjectOptions, LightMyRequestResponse } from "fastify";
import pino from "pino";
import { type App, buildApp } from "../../src/app.ts";
import { loadConfig } from "../../src/config/config.ts";
import type { Db, DialectName } from "../../src/db/connect.ts";
import type { Deployment } from "../../src/shared/api.ts";
import { testDb } from "./db.ts";

export interface TestApp {
  app: App;
  /** The app's database, for tests that change what only time or an operator would (e.g. a token's expiry). */
  db: Db;
  token: string;
  /** `app.inject` with the admin token (unless `headers.authorization` is given). */
  request(options: InjectOptions): Promise<LightMyRequestResponse>;
  /** Polls a deployment until it ends (or `timeoutMs`), returning its final state. */
  waitForDeployment(id: string, timeoutMs?: number): Promise<Deployment>;
  close(): Promise<void>;
}

/** A full app (HTTP + job runner) on a fresh database of the given dialect. */
export async function startTestApp(dialect: DialectName, env: Record<string, string> = {}): Promise<TestApp> {
  const db = await testDb(dialect);
  const config = loadConfig({ JOB_POLL_MS: "20", LOG_LEVEL: "silent", STAGEGATE_DEMO: "0", ...env });
  const app = await buildApp({ config, db, logger: pino({ level: "silent" }) });
  const token = (await app.services.tokens.bootstrapAdmin()) ?? "";
  app.jobs.start();
  const request = (options: InjectOptions) =>
    app.http.inject({ ...options, headers: { authorization: `Bearer ${token}`, ...(options.headers ?? {}) } });
  return {
    app,
    db,
    token,
    request,
    async waitForDeployment(id, timeoutMs = 20_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const deployment = (await request({ method: "GET", url: `/api/v1/deployments/${id}` })).json<Deployment>();
        if (!["queued", "running", "pending_gates", "pending_approval"].includes(deployment.status) || Date.now() > until)
          return deployment;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    async close() {
      await app.jobs.stop();
      await app.http.close();
      await db.close();
    },
  };
}

/** Applies a stagegate.yaml to a project (made if new) and fails the test unless the server took it. */
export async function applyConfig(t: TestApp, slug: string, yaml: string): Promise<void> {
  const res = await t.request({
    method: "PUT",
    url: `/api/v1/projects/${slug}/config`,
    payload: yaml,
    headers: { "content-type": "application/yaml" },
  });
  if (res.statusCode !== 200) throw new Error(`applying the config of ${slug}: ${res.statusCode} ${res.body}`);
}

/** One environment, `stg`, whose deploy does nothing: for tests about runs, logs and metrics. */
export const ONE_STAGE_YAML = 'environments:\n  - name: stg\n    executor: { type: shell, config: { command: ["true"] } }\n';

/** A stagegate.yaml with `quant → quant_stg → live`, each running `command` through the shell executor. */
export function pipelineYaml(
  options: { command?: string[]; live?: string[]; autoDeploy?: boolean; extra?: string } = {},
): string {
  const command = JSON.stringify(options.command ?? ["sh", "-c", "echo deploying $STAGEGATE_RELEASE to $STAGEGATE_ENVIRONMENT"]);
  const live = JSON.stringify(options.live ?? options.command ?? ["sh", "-c", "echo live $STAGEGATE_RELEASE"]);
  return `project: shop
name: Shop pipelines
environments:
  - name: quant
${options.autoDeploy ? "    autoDeploy: { branch: main }\n" : ""}    executor: { type: shell, config: { command: ${command} } }
  - name: quant_stg
    executor: { type: shell, config: { command: ${command} } }
  - name: live
    executor: { type: shell, config: { command: ${live}, timeout: 30s } }
${options.extra ?? ""}`;
}

/**
 * A stagegate.yaml where `live` waits for two approvers (expiring in an hour) and `quick` (no previous stage) for one,
 * within a second; `extra` appends further environments.
 */
export function approvalsYaml(extra = ""): string {
  return `environments:
  - name: stg
    executor: { type: shell, config: { command: ["true"] } }
  - name: live
    executor: { type: shell, config: { command: ["true"] } }
    approval:
      groups: [ { name: managers, members: ["@approver"], required: 2 } ]
      expiresAfter: 1h
  - name: quick
    requires: null
    executor: { type: shell, config: { command: ["true"] } }
    approval:
      groups: [ { name: managers, members: ["@approver"] } ]
      expiresAfter: 1s
${extra}`;
}

/** Creates a user with a role in a project and returns a personal API token for them (login, then POST /tokens). */
export async function userWithToken(t: TestApp, input: { username: string; project?: string; role?: string }): Promise<string> {
  const password = `pw-${input.username}-0123456789`;
  const created = await t.request({ method: "POST", url: "/api/v1/users", payload: { username: input.username, password } });
  if (created.statusCode !== 201) throw new Error(`create user ${input.username}: ${created.statusCode} ${created.body}`);
  if (input.project && input.role) {
    const member = await t.request({
      method: "PUT",
      url: `/api/v1/projects/${input.project}/members`,
      payload: { username: input.username, role: input.role },
    });
    if (member.statusCode >= 300) throw new Error(`member ${input.username}: ${member.statusCode} ${member.body}`);
  }
  const login = await t.app.http.inject({
    method: "POST",
    url: "/api/v1/session",
    payload: { username: input.username, password },
  });
  if (login.statusCode >= 300) throw new Error(`login ${input.username}: ${login.statusCode} ${login.body}`);
  const cookie = String(login.headers["set-cookie"]).split(";")[0] ?? "";
  const csrf = login.json<{ csrfToken: string }>().csrfToken;
  const token = await t.app.http.inject({
    method: "POST",
    url: "/api/v1/tokens",
    payload: { name: `${input.username} tests` },
    headers: { cookie, "x-csrf-token": csrf },
  });
  if (token.statusCode !== 201) throw new Error(`token ${input.username}: ${token.statusCode} ${token.body}`);
  return token.json<{ token: string }>().token;
}

/**
 * A signed token with one character of its signature changed, always to a different one. Overwriting the tail with
 * fixed characters (`…00`) leaves the token valid whenever it already ends in them: 1 run in 256 for a hex signature.
 */
export function forgedToken(token: string): string {
  const at = token.length - 5;
  return `${token.slice(0, at)}${token[at] === "A" ? "B" : "A"}${token.slice(at + 1)}`;
}
