import { randomUUID } from "node:crypto";
import { type FakeReply, type FakeServer, startFakeServer } from "./http.fake.ts";

/**
 * Jenkins' remote access API, as documented:
 * - GET  /crumbIssuer/api/json → {crumb, crumbRequestField: "Jenkins-Crumb"} (+ a session cookie the crumb belongs to)
 * - POST /job/<a>/job/<b>/buildWithParameters (form) or /build → 201, `Location: <root>/queue/item/<id>/`;
 *   403 without a valid crumb, 400 for a parameter the job does not define
 * - GET  /queue/item/<id>/api/json → {id, why, blocked, cancelled?, executable: {number, url}?}
 * - GET  /job/…/<n>/api/json → {number, building, result, timestamp, duration, url}; /consoleText → plain text
 * - POST /queue/cancelItem?id=<id> and /job/…/<n>/stop → 302
 * Auth is HTTP Basic user:apiToken; anything else is 401.
 */

export const JENKINS_USER = "deployer";
export const JENKINS_TOKEN = "11a2b3c4d5e6f708192a3b4c5d6e7f8091";

export interface FakeJenkinsJob {
  parameters: string[];
  queuedPolls: number;
  buildingPolls: number;
  result: "SUCCESS" | "FAILURE" | "UNSTABLE";
  console: string;
}

export interface FakeBuild {
  queueId: number;
  number: number | null;
  job: string;
  parameters: Record<string, string>;
  queuePolls: number;
  buildPolls: number;
  aborted: boolean;
  cancelledInQueue: boolean;
  startedAt: number;
  spec: FakeJenkinsJob;
}

export interface JenkinsFake {
  server: FakeServer;
  url: string;
  builds: FakeBuild[];
  close(): Promise<void>;
}

export async function startJenkinsFake(jobs: Record<string, FakeJenkinsJob>): Promise<JenkinsFake> {
  const builds: FakeBuild[] = [];
  const crumbs = new Map<string, string>();
  let nextQueue = 500;
  const basic = `Basic ${Buffer.from(`${JENKINS_USER}:${JENKINS_TOKEN}`).toString("base64")}`;
  const html = (status: number, text: string): FakeReply => ({
    status,
    body: `<html><body><h2>HTTP ERROR ${status} ${text}</h2></body></html>`,
    headers: { "Content-Type": "text/html" },
  });

  const server = await startFakeServer((request) => {
    if (request.headers.authorization !== basic) return html(401, "Unauthorized");
    const root = server.url;
    if (request.path === "/crumbIssuer/api/json" && request.method === "GET") {
      const session = `JSESSIONID.fake=${randomUUID()}`;
      const crumb = randomUUID().replaceAll("-", "");
      crumbs.set(session, crumb);
      return {
        status: 200,
        headers: { "Set-Cookie": `${session}; Path=/; HttpOnly` },
        body: { _class: "hudson.security.csrf.DefaultCrumbIssuer", crumb, crumbRequestField: "Jenkins-Crumb" },
      };
    }
    if (request.method === "POST") {
      const session = String(request.headers.cookie ?? "").split(";")[0] ?? "";
      if (!crumbs.has(session) || crumbs.get(session) !== request.headers["jenkins-crumb"])
        return html(403, "No valid crumb was included in the request");
    }
    const jobMatch = /^((?:\/job\/[^/]+)+)\/(buildWithParameters|build|(\d+)\/(api\/json|consoleText|stop))$/.exec(request.path);
    const jobName = jobMatch?.[1]?.split("/job/").filter(Boolean).map(decodeURIComponent).join("/");
    if (jobMatch && jobName !== undefined) {
      const spec = jobs[jobName];
      if (!spec) return html(404, "Not Found");
      const action = jobMatch[2] ?? "";
      if ((action === "buildWithParameters" || action === "build") && request.method === "POST") {
        const parameters = Object.fromEntries(request.form?.entries() ?? []);
        const unknown = Object.keys(parameters).filter((name) => !spec.parameters.includes(name));
        if (unknown.length) return html(400, `This job does not have parameters ${unknown.join(", ")}`);
        if (action === "build" && spec.parameters.length > 0)
          return html(400, "This job is parameterized; use buildWithParameters");
        const queueId = nextQueue++;
        builds.push({
          queueId,
          number: null,
          job: jobName,
          parameters,
          queuePolls: 0,
          buildPolls: 0,
          aborted: false,
          cancelledInQueue: false,
          startedAt: 0,
          spec,
        });
        return { status: 201, headers: { Location: `${root}/queue/item/${queueId}/` } };
      }
      const build = builds.find((candidate) => candidate.job === jobName && String(candidate.number) === jobMatch[3]);
      if (!build) return html(404, "Not Found");
      if (jobMatch[4] === "api/json" && request.method === "GET") {
        build.buildPolls++;
        const done = build.aborted || build.buildPolls > build.spec.buildingPolls;
        return {
          status: 200,
          body: {
            _class: "hudson.model.FreeStyleBuild",
            number: build.number,
            building: !done,
            result: done ? (build.aborted ? "ABORTED" : build.spec.result) : null,
            timestamp: build.startedAt,
            duration: done ? Date.now() - build.startedAt : 0,
            url: `${root}${jobMatch[1]}/${build.number}/`,
          },
        };
      }
      if (jobMatch[4] === "consoleText" && request.method === "GET") return { status: 200, body: build.spec.console };
      if (jobMatch[4] === "stop" && request.method === "POST") {
        build.aborted = true;
        return { status: 302, headers: { Location: `${root}${jobMatch[1]}/${build.number}/` } };
      }
    }
    const queueMatch = /^\/queue\/item\/(\d+)\/api\/json$/.exec(request.path);
    if (queueMatch && request.method === "GET") {
      const build = builds.find((candidate) => String(candidate.queueId) === queueMatch[1]);
      if (!build) return html(404, "Not Found");
      if (build.cancelledInQueue) return { status: 200, body: { id: build.queueId, cancelled: true, why: null } };
      build.queuePolls++;
      if (build.queuePolls > build.spec.queuedPolls && build.number === null) {
        build.number = builds.filter((candidate) => candidate.job === build.job && candidate.number !== null).length + 1;
        build.startedAt = Date.now();
      }
      return {
        status: 200,
        body: {
          id: build.queueId,
          blocked: false,
          why: build.number === null ? "Waiting for next available executor" : null,
          ...(build.number === null
            ? {}
            : {
                executable: { number: build.number, url: `${root}/job/${build.job.split("/").join("/job/")}/${build.number}/` },
              }),
        },
      };
    }
    if (request.path === "/queue/cancelItem" && request.method === "POST") {
      const build = builds.find((candidate) => String(candidate.queueId) === request.query.get("id"));
      if (build) build.cancelledInQueue = true;
      return { status: 302, headers: { Location: `${root}/queue/` } };
    }
    return html(404, "Not Found");
  });
  return { server, url: server.url, builds, close: () => server.close() };
}

export function jenkinsConfig(fake: JenkinsFake, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    url: fake.url,
    job: "data/deploy-transcripts",
    user: JENKINS_USER,
    token: JENKINS_TOKEN,
    pollInterval: "10ms",
    ...overrides,
  };
}
