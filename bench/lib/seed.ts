import { randomBytes } from "node:crypto";
import type { Deployment, PageOf, Release } from "../../src/shared/api.ts";
import type { ApiClient } from "./api-client.ts";

export const PROJECT = "bench";

const CONFIG_YAML = `project: ${PROJECT}
name: API bench
environments:
  - name: quant
    executor: { type: shell, config: { command: ["true"] } }
  - name: quant_stg
    executor: { type: shell, config: { command: ["true"] } }
  - name: live
    executor: { type: shell, config: { command: ["true"] } }
`;

export interface SeedOptions {
  releases: number;
  promotions: number;
  /** The releases page whose cursor the deep-list scenario asks for (1 = first page). */
  deepPage: number;
}

export interface Seeded {
  versions: string[];
  deploymentIds: string[];
  /** Cursor that makes `GET …/releases?limit=50` answer page `deepPage`. */
  deepCursor: string;
}

const version = (index: number): string => `1.${Math.floor(index / 1000)}.${index % 1000}`;

async function inParallel<T>(items: T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    for (let item = items[next++]; item !== undefined; item = items[next++]) await work(item);
  };
  await Promise.all(Array.from({ length: width }, lane));
}

async function createReleases(api: ApiClient, count: number): Promise<string[]> {
  const versions = Array.from({ length: count }, (_, index) => version(index));
  await inParallel(versions, 8, async (v) => {
    const body = { version: v, commitSha: randomBytes(20).toString("hex"), branch: "main" };
    await api.send<Release>("POST", `/api/v1/projects/${PROJECT}/releases`, { json: body });
  });
  return versions;
}

/** One after another, as a CI pipeline would: each queued promote supersedes the previous queued one. */
async function promote(api: ApiClient, versions: string[]): Promise<void> {
  for (const v of versions) {
    await api.send<Deployment>("POST", `/api/v1/projects/${PROJECT}/releases/${v}/promote`, { json: { environment: "quant" } });
  }
}

async function allDeploymentIds(api: ApiClient): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor ? `&cursor=${cursor}` : "";
    const page: PageOf<Deployment> = await api.send("GET", `/api/v1/projects/${PROJECT}/deployments?limit=200${query}`);
    ids.push(...page.items.map((d) => d.id));
    cursor = page.nextCursor;
  } while (cursor);
  return ids;
}

async function cursorOfPage(api: ApiClient, page: number): Promise<string> {
  let cursor = "";
  for (let at = 1; at < page; at++) {
    const query = cursor ? `&cursor=${cursor}` : "";
    const result = await api.send<PageOf<Release>>("GET", `/api/v1/projects/${PROJECT}/releases?limit=50${query}`);
    if (!result.nextCursor) throw new Error(`releases run out before page ${page}: seed more releases`);
    cursor = result.nextCursor;
  }
  return cursor;
}

/** Everything goes through the HTTP API, so the data is what a real client would have produced. */
export async function seed(api: ApiClient, options: SeedOptions): Promise<Seeded> {
  await api.send("PUT", `/api/v1/projects/${PROJECT}/config`, { yaml: CONFIG_YAML });
  const versions = await createReleases(api, options.releases);
  await promote(api, versions.slice(-options.promotions));
  const deploymentIds = await allDeploymentIds(api);
  const deepCursor = await cursorOfPage(api, options.deepPage);
  return { versions, deploymentIds, deepCursor };
}
