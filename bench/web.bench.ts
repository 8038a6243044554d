import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { newId } from "../src/shared/ids.ts";
import { type BenchApp, startBenchApp } from "./lib/bench-app.ts";
import { intFromEnv } from "./lib/env.ts";
import { median, percentile } from "./lib/measure.ts";
import { markdownTable } from "./lib/report.ts";

/**
 * `npm run bench -- web`:
 *  1. The dashboard build: JS the first route (sign-in / projects) loads before anything else, gzip, against the
 *     300 KB budget; every lazily loaded page chunk.
 *  2. The project overview on a project with 50 environments and 10k releases (BENCH_ENVS, BENCH_RELEASES): each API
 *     call the overview makes, timed through `inject` (p50/p95) against a plain paginated list of releases as the
 *     baseline, with response sizes — all paginated, none grows with the 10k.
 */
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const DIST = join(ROOT, "web", "dist");
const BUDGET_GZIP = 300 * 1024;

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const gz = (file: string) => gzipSync(readFileSync(file), { level: 9 }).length;

function bundle(): void {
  execFileSync(process.execPath, [join(ROOT, "web", "build-if-stale.mjs")], { stdio: "inherit" });
  const html = readFileSync(join(DIST, "index.html"), "utf8");
  const initial = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1] ?? "");
  const initialJs = initial.filter((f) => f.endsWith(".js"));
  const assets = readdirSync(join(DIST, "assets"));
  const rows = assets
    .filter((f) => f.endsWith(".js") || f.endsWith(".css"))
    .map((f) => {
      const path = join(DIST, "assets", f);
      return { file: f, raw: readFileSync(path).length, gzip: gz(path), initial: initial.includes(`/assets/${f}`) };
    })
    .sort((a, b) => Number(b.initial) - Number(a.initial) || b.gzip - a.gzip);
  const firstLoadJs = rows.filter((r) => r.initial && r.file.endsWith(".js")).reduce((sum, r) => sum + r.gzip, 0);
  console.log("\n## Dashboard bundle (web/dist)\n");
  console.log(
    markdownTable(
      ["asset", "loaded", "raw", "gzip"],
      rows.map((r) => [r.file, r.initial ? "first load" : "on demand", kb(r.raw), kb(r.gzip)]),
    ),
  );
  console.log(
    `\nFirst-load JS (gzip, ${initialJs.length} file(s)): ${kb(firstLoadJs)} of ${kb(BUDGET_GZIP)} budget → ${firstLoadJs <= BUDGET_GZIP ? "OK" : "OVER BUDGET"}`,
  );
  console.log(`Code-split page chunks: ${rows.filter((r) => !r.initial && r.file.endsWith(".js")).length}`);
  if (firstLoadJs > BUDGET_GZIP) process.exitCode = 1;
}

function yaml(envs: number): string {
  const lines = ["project: big", "name: Big project", "environments:"];
  for (let i = 0; i < envs; i++)
    lines.push(`  - name: env${String(i).padStart(2, "0")}`, `    executor: { type: shell, config: { command: ["true"] } }`);
  return `${lines.join("\n")}\n`;
}

async function seed(b: BenchApp, input: { envs: number; releases: number; deployed: number }): Promise<void> {
  const applied = await b.app.http.inject({
    method: "PUT",
    url: "/api/v1/projects/big/config",
    headers: { authorization: `Bearer ${b.token}`, "content-type": "application/yaml" },
    payload: yaml(input.envs),
  });
  if (applied.statusCode !== 200) throw new Error(applied.body);
  const db = b.db.kysely;
  const project = await db.selectFrom("projects").select("id").where("slug", "=", "big").executeTakeFirstOrThrow();
  const envs = await db
    .selectFrom("environments")
    .select("id")
    .where("project_id", "=", project.id)
    .orderBy("position")
    .execute();
  // One release a minute up to now, so the newest deployments fall inside DORA's windows.
  const start = Date.now() - input.releases * 60_000;
  const releases: { id: string; at: string }[] = [];
  for (let offset = 0; offset < input.releases; offset += 500) {
    const batch = Array.from({ length: Math.min(500, input.releases - offset) }, (_, k) => {
      const i = offset + k;
      const at = new Date(start + i * 60_000).toISOString();
      const id = newId("rel", start + i * 60_000);
      releases.push({ id, at });
      return {
        id,
        project_id: project.id,
        version: `1.${Math.floor(i / 1000)}.${i % 1000}`,
        commit_sha: i.toString(16).padStart(40, "0"),
        branch: "main",
        artifact_url: null,
        artifact_digest: null,
        notes: null,
        created_by: "ci",
        created_at: at,
      };
    });
    await db.insertInto("releases").values(batch).execute();
  }
  // The newest `deployed` releases went through every environment.
  const rows = releases.slice(-input.deployed).flatMap((r, i) =>
    envs.map((env, e) => {
      const at = new Date(Date.parse(r.at) + (e + 1) * 1000).toISOString();
      return {
        id: newId("dep", Date.parse(at) + i),
        project_id: project.id,
        environment_id: env.id,
        release_id: r.id,
        kind: "deploy",
        status: (i + e) % 17 === 0 ? "failed" : "succeeded",
        reason: null,
        created_by: "ci",
        step_index: 0,
        step_attempt: 0,
        step_state: null,
        step_deadline: null,
        external_id: null,
        callback_token_hash: null,
        callback_result: null,
        cancel_requested: 0,
        log_omitted_lines: 0,
        log_omitted_bytes: 0,
        created_at: at,
        started_at: at,
        finished_at: at,
        updated_at: at,
      };
    }),
  );
  for (let i = 0; i < rows.length; i += 500)
    await db
      .insertInto("deployments")
      .values(rows.slice(i, i + 500))
      .execute();
}

async function timed(b: BenchApp, url: string, iterations: number) {
  const samples: number[] = [];
  let bytes = 0;
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    const res = await b.app.http.inject({ method: "GET", url, headers: { authorization: `Bearer ${b.token}` } });
    samples.push(performance.now() - t0);
    if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body.slice(0, 200)}`);
    bytes = res.rawPayload.length;
  }
  return { p50: median(samples), p95: percentile(samples, 0.95), bytes };
}

async function overview(): Promise<void> {
  const envs = intFromEnv("BENCH_ENVS", { fallback: 50, min: 1 });
  const releases = intFromEnv("BENCH_RELEASES", { fallback: 10_000, min: 1 });
  const iterations = intFromEnv("BENCH_ITERATIONS", { fallback: 30, min: 1 });
  const b = await startBenchApp();
  try {
    const t0 = performance.now();
    await seed(b, { envs, releases, deployed: 200 });
    console.log(
      `\n## Project overview: ${envs} environments, ${releases.toLocaleString("en-US")} releases (seeded in ${((performance.now() - t0) / 1000).toFixed(1)} s)\n`,
    );
    const baseline = await timed(b, "/api/v1/projects/big/releases?limit=25", iterations);
    const calls: [string, string][] = [
      ["baseline: releases page (25)", "/api/v1/projects/big/releases?limit=25"],
      ["matrix page 1 (25 × 50)", "/api/v1/projects/big/matrix?limit=25"],
      ["dora 90 days", "/api/v1/projects/big/dora?days=90"],
      ["recent deployments (8)", "/api/v1/projects/big/deployments?limit=8"],
      ["approvals waiting for me", "/api/v1/approvals?mine=pending"],
      ["project summaries", "/api/v1/project-summaries?limit=20"],
    ];
    const lines: string[][] = [];
    for (const [name, url] of calls) {
      const r = name.startsWith("baseline") ? baseline : await timed(b, url, iterations);
      lines.push([
        name,
        `${r.p50.toFixed(1)} ms`,
        `${r.p95.toFixed(1)} ms`,
        `×${(r.p50 / baseline.p50).toFixed(1)}`,
        kb(r.bytes),
      ]);
    }
    // The last page proves the keyset cursor does not slow down deep into 10k releases.
    let cursor: string | null = null;
    let pages = 0;
    const first = await b.app.http.inject({
      method: "GET",
      url: "/api/v1/projects/big/matrix?limit=100",
      headers: { authorization: `Bearer ${b.token}` },
    });
    cursor = first.json<{ releases: { nextCursor: string | null } }>().releases.nextCursor;
    let deepest = 0;
    while (cursor) {
      const t = performance.now();
      const page = await b.app.http.inject({
        method: "GET",
        url: `/api/v1/projects/big/matrix?limit=100&cursor=${encodeURIComponent(cursor)}`,
        headers: { authorization: `Bearer ${b.token}` },
      });
      deepest = Math.max(deepest, performance.now() - t);
      cursor = page.json<{ releases: { nextCursor: string | null } }>().releases.nextCursor;
      pages++;
    }
    console.log(markdownTable(["call", "p50", "p95", "vs baseline", "response"], lines));
    console.log(`\nWalked all ${pages + 1} matrix pages of 100 with the cursor; slowest page ${deepest.toFixed(1)} ms.`);
  } finally {
    await b.close();
  }
}

export async function run(): Promise<void> {
  bundle();
  await overview();
}
