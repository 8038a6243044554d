import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import Fastify, { type FastifyInstance } from "fastify";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDb, testDialects } from "../../../test/helpers/db.ts";
import type { Db } from "../../db/connect.ts";
import type { Queryable } from "../../db/schema.ts";
import { registerErrorHandling } from "../../http/errors.ts";
import { JobRunner } from "../../jobs/job.runner.ts";
import type { Clock } from "../../shared/clock.ts";
import { notFound } from "../../shared/errors.ts";
import { hmacSha256Hex } from "../../shared/hashing.ts";
import { resolveSecret } from "../../shared/secrets.ts";
import { createNotificationsFeature, type NotificationsFeature, type NotificationsFeatureDeps } from "./notifications.feature.ts";
import type { DeliveryView } from "./notifications.service.ts";
import type { DeliveryRecord, NotificationChannel } from "./notifications.types.ts";
import { type ChatFake, startSlackFake, startTeamsFake } from "./notifiers/chat.fakes.ts";
import { sampleEvent } from "./notifiers/notifier.contract.ts";
import { type SmtpFake, startSmtpFake } from "./notifiers/smtp.fake.ts";

const T0 = Date.parse("2026-03-01T12:00:00Z");
const logger = pino({ level: "silent" });

describe.each(testDialects())("notification outbox on %s", (dialect) => {
  let db: Db;
  let now = T0;
  const clock: Clock = { now: () => new Date(now) };
  let slack: ChatFake;
  let teams: ChatFake;
  let smtp: SmtpFake;
  let runner: JobRunner;
  let feature: NotificationsFeature;
  let projects = 0;

  /**
   * Reads `notifications:` from the stored project config, through the caller's transaction when given: what the
   * projects service does for the real app. On SQLite, reading through `db` here would wait for that transaction forever.
   */
  async function channelsFor(projectId: string, tx?: Queryable): Promise<NotificationChannel[]> {
    const row = await (tx ?? db.kysely)
      .selectFrom("projects")
      .select("config_json")
      .where("id", "=", projectId)
      .executeTakeFirst();
    const config = row?.config_json ? (JSON.parse(row.config_json) as { notifications?: NotificationChannel[] }) : {};
    return config.notifications ?? [];
  }

  function build(overrides: Partial<NotificationsFeatureDeps> = {}): NotificationsFeature {
    return createNotificationsFeature({
      db: db.kysely,
      clock,
      logger,
      enqueue: (tx, options) => runner.enqueue(tx, options),
      channelsFor,
      projectIdOf: async (slug) => {
        const row = await db.kysely.selectFrom("projects").select("id").where("slug", "=", slug).executeTakeFirst();
        if (!row) throw notFound("project_not_found", `Project "${slug}" does not exist`);
        return row.id;
      },
      resolveSecret,
      smtp: { host: "127.0.0.1", port: smtp.port, from: "stagegate <stagegate@acme.test>" },
      policy: { maxAttempts: 3 },
      ...overrides,
    });
  }

  function startRunner(): JobRunner {
    const jobs = new JobRunner({
      db: db.kysely,
      capabilities: db.capabilities,
      clock,
      logger,
      pollMs: 10,
      leaseMs: 60_000,
      concurrency: 2,
    });
    runner = jobs;
    feature = build();
    for (const [type, handler] of Object.entries(feature.jobs)) jobs.register(type, handler);
    jobs.start();
    return jobs;
  }

  async function project(channels: NotificationChannel[]): Promise<string> {
    projects += 1;
    const id = `prj_${dialect}_${projects}`;
    const at = new Date(T0).toISOString();
    await db.kysely
      .insertInto("projects")
      .values({
        id,
        slug: `shop-${projects}`,
        name: "Shop",
        repo_url: null,
        config_source: null,
        config_json: JSON.stringify({ notifications: channels }),
        created_at: at,
        updated_at: at,
      })
      .execute();
    return id;
  }

  /** `notify` as a feature calls it: inside the transaction of the change it reports. */
  function notifyCommitted(projectId: string, event = sampleEvent()): Promise<string[]> {
    return db.kysely.transaction().execute((tx) => feature.notify(tx, projectId, event));
  }

  async function until(what: string, check: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  const delivery = async (id: string): Promise<DeliveryRecord> => {
    const found = await feature.service.get(id);
    if (!found) throw new Error(`no delivery ${id}`);
    return found;
  };
  const settled = (id: string, status: DeliveryRecord["status"]) =>
    until(`${id} is ${status}`, async () => (await delivery(id)).status === status);
  const jobOf = (id: string) =>
    db.kysely.selectFrom("jobs").select(["run_at", "status"]).where("key", "=", `notification:${id}`).executeTakeFirst();

  const slackChannel = (): NotificationChannel => ({ type: "slack", url: slack.url, events: ["approval_requested", "rollback"] });

  beforeAll(async () => {
    db = await testDb(dialect);
    [slack, teams, smtp] = await Promise.all([startSlackFake(), startTeamsFake(), startSmtpFake()]);
    startRunner();
  });
  afterAll(async () => {
    await runner.stop();
    await Promise.all([slack.close(), teams.close(), smtp.close()]);
    await db.close();
  });

  it("records nothing when the caller's transaction rolls back", async () => {
    const projectId = await project([slackChannel()]);
    const failure = new Error("the deploy could not be queued");
    let ids: string[] = [];
    await expect(
      db.kysely.transaction().execute(async (tx) => {
        ids = await feature.notify(tx, projectId, sampleEvent());
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(ids).toHaveLength(1);
    expect(await feature.service.get(ids[0] ?? "")).toBeUndefined();
    expect(await jobOf(ids[0] ?? "")).toBeUndefined();
    expect((await feature.service.list({ project: `shop-${projects}`, limit: 10, cursor: undefined })).items).toEqual([]);
  });

  it("delivers once the transaction commits, and only to channels subscribed to the event", async () => {
    const before = slack.messages.length;
    const projectId = await project([
      slackChannel(),
      { type: "teams", url: teams.url, events: ["deployment_failed"] },
      { type: "email", name: "release-managers", to: ["lead@acme.test"], events: ["approval_requested"] },
    ]);
    const ids = await notifyCommitted(projectId);
    expect(ids).toHaveLength(2);
    for (const id of ids) await settled(id, "delivered");
    const records = await Promise.all(ids.map(delivery));
    expect(records.map((record) => [record.channel, record.channelType, record.attempts, record.lastError])).toEqual([
      ["slack#1", "slack", 1, null],
      ["release-managers", "email", 1, null],
    ]);
    expect(records[0]?.deliveredAt).toBe(new Date(now).toISOString());
    expect(slack.messages.length).toBe(before + 1);
    expect(teams.messages).toEqual([]);
    expect(smtp.messages.at(-1)?.subject).toBe("[stagegate] Approval needed: shop 1.4.0 → live");
    // The runner removes a finished job right after the handler recorded the outcome.
    for (const id of ids) await until("the job is done", async () => (await jobOf(id)) === undefined);
  });

  it("retries a 503 with backoff and delivers on the second attempt", async () => {
    const projectId = await project([slackChannel()]);
    slack.failNext(503, { body: "service_unavailable" });
    const [id = ""] = await notifyCommitted(projectId);
    await until("the first attempt failed", async () => (await delivery(id)).attempts === 1);
    expect(await delivery(id)).toMatchObject({ status: "pending", nextAttemptAt: new Date(now + 15_000).toISOString() });
    expect((await delivery(id)).lastError).toContain("HTTP 503");
    await until("rescheduled", async () => (await jobOf(id))?.status === "pending");
    expect((await jobOf(id))?.run_at).toBe(new Date(now + 15_000).toISOString());

    now += 15_000;
    runner.wake();
    await settled(id, "delivered");
    expect(await delivery(id)).toMatchObject({ attempts: 2, lastError: null, nextAttemptAt: null });
  });

  it("waits as long as Slack's Retry-After asks", async () => {
    const projectId = await project([slackChannel()]);
    slack.failNext(429, { body: "rate_limited", headers: { "retry-after": "120" } });
    const [id = ""] = await notifyCommitted(projectId);
    await until("rescheduled", async () => (await delivery(id)).attempts === 1 && (await jobOf(id))?.status === "pending");
    expect((await jobOf(id))?.run_at).toBe(new Date(now + 120_000).toISOString());
    now += 120_000;
    runner.wake();
    await settled(id, "delivered");
  });

  it("fails at once on a 404 and keeps the reason", async () => {
    const projectId = await project([{ type: "slack", url: `${slack.url}-deleted`, events: ["approval_requested"] }]);
    const [id = ""] = await notifyCommitted(projectId);
    await settled(id, "failed");
    const failed = await delivery(id);
    expect(failed).toMatchObject({ attempts: 1, nextAttemptAt: null });
    expect(failed.lastError).toMatch(/^Slack at 127\.0\.0\.1:\d+ answered HTTP 404: no_service/);
    await until("the job is done", async () => (await jobOf(id)) === undefined);
  });

  it("gives up after the last allowed attempt", async () => {
    const projectId = await project([slackChannel()]);
    for (let i = 0; i < 3; i++) slack.failNext(503);
    const [id = ""] = await notifyCommitted(projectId);
    for (const attempts of [1, 2]) {
      await until(`attempt ${attempts}`, async () => (await delivery(id)).attempts === attempts);
      await until("rescheduled", async () => (await jobOf(id))?.status === "pending");
      now += 60_000;
      runner.wake();
    }
    await settled(id, "failed");
    expect((await delivery(id)).lastError).toMatch(/^gave up after 3 attempts: Slack at .* answered HTTP 503/);
  });

  it("delivers what was pending when the process stopped, after a restart on the same database", async () => {
    const projectId = await project([slackChannel()]);
    await runner.stop();
    const [id = ""] = await notifyCommitted(projectId);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await delivery(id)).status).toBe("pending");

    startRunner();
    await settled(id, "delivered");
    expect((await delivery(id)).attempts).toBe(1);
  });

  it("keeps one dead channel from holding up the others", async () => {
    const projectId = await project([
      { type: "teams", url: `${teams.url}x`, events: ["rollback"] },
      { type: "slack", url: slack.url, events: ["rollback"] },
    ]);
    const ids = await notifyCommitted(projectId, sampleEvent({ type: "rollback" }));
    await settled(ids[0] ?? "", "failed");
    await settled(ids[1] ?? "", "delivered");
  });

  it("resolves env secret references when sending, and fails plainly when the variable is missing", async () => {
    process.env.SG_TEST_SLACK_HOOK = slack.url;
    const projectId = await project([
      { type: "slack", url: `\${env:SG_TEST_SLACK_HOOK}`, events: ["rollback"] },
      { type: "slack", name: "unset", url: `\${env:SG_TEST_UNSET_HOOK}`, events: ["rollback"] },
    ]);
    const [ok = "", missing = ""] = await notifyCommitted(projectId, sampleEvent({ type: "rollback" }));
    await settled(ok, "delivered");
    await settled(missing, "failed");
    expect((await delivery(missing)).lastError).toBe(
      `url "\${env:SG_TEST_UNSET_HOOK}" resolves to nothing; set that variable on the server`,
    );
    delete process.env.SG_TEST_SLACK_HOOK;
  });

  it("fails a delivery whose channel was removed from the config before it was sent", async () => {
    const projectId = await project([slackChannel()]);
    await runner.stop();
    const [id = ""] = await notifyCommitted(projectId);
    await db.kysely
      .updateTable("projects")
      .set({ config_json: JSON.stringify({ notifications: [] }) })
      .where("id", "=", projectId)
      .execute();
    startRunner();
    await settled(id, "failed");
    expect(await delivery(id)).toMatchObject({
      attempts: 0,
      lastError: "channel slack#1 is no longer in the project's notifications",
    });
  });

  it("never fails the caller when the channels cannot be read", async () => {
    const projectId = await project([slackChannel()]);
    const broken = build({
      channelsFor: async () => {
        throw new Error("config_json is not JSON");
      },
    });
    await expect(db.kysely.transaction().execute((tx) => broken.notify(tx, projectId, sampleEvent()))).resolves.toEqual([]);
  });

  it("signs webhook deliveries end to end", async () => {
    const { startRecordingServer } = await import("../../../test/helpers/recording-server.ts");
    const receiver = await startRecordingServer((_request, response) => {
      response.writeHead(200);
      response.end();
    });
    try {
      const projectId = await project([{ type: "webhook", url: `${receiver.url}/in`, secret: "s3cret", events: ["rollback"] }]);
      const [id = ""] = await notifyCommitted(projectId, sampleEvent({ type: "rollback" }));
      await settled(id, "delivered");
      const request = receiver.requests.at(-1);
      expect(request?.headers["x-stagegate-delivery"]).toBe(id);
      expect(request?.headers["x-stagegate-signature"]).toBe(`sha256=${hmacSha256Hex("s3cret", request?.body ?? "")}`);
    } finally {
      await receiver.close();
    }
  });

  describe("GET /notifications/deliveries", () => {
    let http: FastifyInstance;
    let slug = "";
    let ids: string[] = [];

    beforeAll(async () => {
      http = Fastify().withTypeProvider<TypeBoxTypeProvider>();
      registerErrorHandling(http);
      await http.register(feature.routes, { prefix: "/api/v1" });
      const projectId = await project([
        slackChannel(),
        { type: "slack", name: "dead", url: `${slack.url}-gone`, events: ["approval_requested"] },
        { type: "teams", url: teams.url, events: ["approval_requested"] },
      ]);
      slug = `shop-${projects}`;
      ids = await notifyCommitted(projectId, sampleEvent({ project: { slug, name: "Shop" } }));
      for (const id of ids) await until(`${id} settled`, async () => (await delivery(id)).status !== "pending");
    });
    afterAll(() => http.close());

    const list = async (query: string) => {
      const response = await http.inject({ method: "GET", url: `/api/v1/notifications/deliveries?${query}` });
      return { status: response.statusCode, body: response.json<{ items: DeliveryView[]; nextCursor: string | null }>() };
    };

    it("lists a project's deliveries newest first with status, attempts and the last error", async () => {
      const { status, body } = await list(`project=${slug}`);
      expect(status).toBe(200);
      // One notify stamps its deliveries with the same time; the id breaks the tie.
      expect(body.items.map((item) => item.id)).toEqual([...ids].sort().reverse());
      expect(body.items.find((item) => item.channel === "dead")).toMatchObject({
        project: slug,
        channelType: "slack",
        event: "approval_requested",
        environment: "live",
        release: "1.4.0",
        status: "failed",
        attempts: 1,
        lastError: expect.stringContaining("HTTP 404"),
        deliveredAt: null,
      });
    });

    it("filters by status and pages with a cursor", async () => {
      const failed = await list(`project=${slug}&status=failed`);
      expect(failed.body.items.map((item) => item.channel)).toEqual(["dead"]);
      const first = await list(`project=${slug}&status=delivered&limit=1`);
      expect(first.body.items).toHaveLength(1);
      expect(first.body.nextCursor).not.toBeNull();
      const second = await list(`project=${slug}&status=delivered&limit=1&cursor=${first.body.nextCursor ?? ""}`);
      expect(second.body.items).toHaveLength(1);
      expect(second.body.nextCursor).toBeNull();
      expect(new Set([...first.body.items, ...second.body.items].map((item) => item.channel))).toEqual(
        new Set(["slack#1", "teams#1"]),
      );
    });

    it("answers 404 for an unknown project and 400 for a bad status", async () => {
      expect((await list("project=nope")).status).toBe(404);
      expect((await list("status=lost")).status).toBe(400);
    });
  });
});
