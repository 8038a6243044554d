import http from "node:http";
import { availableParallelism } from "node:os";
import { FlagdCore } from "@openfeature/flagd-core";
import Fastify from "fastify";
import { InMemStorageProvider, Unleash } from "unleash-client";
import { compileFlagSet } from "../src/shared/flags/evaluator.ts";
import type { FlagConfig } from "../src/shared/flags/flags.types.ts";
import { startBenchApp } from "./lib/bench-app.ts";
import { intFromEnv } from "./lib/env.ts";
import { runLoad } from "./lib/load.ts";

/**
 * `npm run bench -- flags`:
 * 1. in-process evaluations/s of three flags — on/off, a 50 % rollout, 3 targeting rules — by our evaluator,
 *    @openfeature/flagd-core and unleash-client, in the same process and run (one core: the main thread);
 * 2. OFREP single-flag evaluation over HTTP against a bare Fastify hello-world route, 50 connections (autocannon in a
 *    worker thread);
 * 3. how long a flag change takes to reach 1,000 connected SSE subscribers.
 * Knobs: BENCH_EVAL_MS (per library × scenario, 2000), BENCH_DURATION (s per HTTP scenario, 5), BENCH_SUBSCRIBERS (1000).
 */
const CONTEXTS = Array.from({ length: 1024 }, (_, i) => ({
  targetingKey: `user-${i}`,
  userId: `user-${i}`,
  cluster: i % 7 === 0 ? "gpu-a" : "cpu-1",
  email: i % 5 === 0 ? `u${i}@acme.com` : `u${i}@example.com`,
  country: i % 3 === 0 ? "de" : "fr",
}));

const onOff: FlagConfig = {
  key: "simple",
  type: "boolean",
  variants: { on: true, off: false },
  enabled: true,
  defaultVariant: "on",
  offVariant: "off",
  rules: [],
  rollout: null,
};
const half: FlagConfig = {
  ...onOff,
  key: "rollout",
  rollout: {
    weights: [
      { variant: "on", weight: 50 },
      { variant: "off", weight: 50 },
    ],
  },
};
const rules: FlagConfig = {
  key: "rules",
  type: "string",
  variants: { v1: "one", v2: "two", v3: "three", v0: "zero" },
  enabled: true,
  defaultVariant: "v0",
  offVariant: "v0",
  rules: [
    { conditions: [{ attribute: "cluster", operator: "in", values: ["gpu-a", "gpu-b"] }], variant: "v1" },
    { conditions: [{ attribute: "email", operator: "endsWith", value: "@acme.com" }], variant: "v2" },
    { conditions: [{ attribute: "country", operator: "equals", value: "de" }], variant: "v3" },
  ],
  rollout: null,
};

const flagdConfig = JSON.stringify({
  flags: {
    simple: { state: "ENABLED", variants: { on: true, off: false }, defaultVariant: "on" },
    rollout: {
      state: "ENABLED",
      variants: { on: true, off: false },
      defaultVariant: "off",
      targeting: {
        fractional: [
          ["on", 50],
          ["off", 50],
        ],
      },
    },
    rules: {
      state: "ENABLED",
      variants: { v1: "one", v2: "two", v3: "three", v0: "zero" },
      defaultVariant: "v0",
      targeting: {
        if: [
          { in: [{ var: "cluster" }, ["gpu-a", "gpu-b"]] },
          "v1",
          { ends_with: [{ var: "email" }, "@acme.com"] },
          "v2",
          { "==": [{ var: "country" }, "de"] },
          "v3",
          null,
        ],
      },
    },
  },
});

const unleashFeatures = [
  { name: "simple", enabled: true, strategies: [{ name: "default", parameters: {}, constraints: [] }] },
  {
    name: "rollout",
    enabled: true,
    strategies: [
      { name: "flexibleRollout", parameters: { rollout: "50", stickiness: "userId", groupId: "rollout" }, constraints: [] },
    ],
  },
  {
    name: "rules",
    enabled: true,
    strategies: [
      { name: "default", parameters: {}, constraints: [{ contextName: "cluster", operator: "IN", values: ["gpu-a", "gpu-b"] }] },
      {
        name: "default",
        parameters: {},
        constraints: [{ contextName: "email", operator: "STR_ENDS_WITH", values: ["@acme.com"] }],
      },
      { name: "default", parameters: {}, constraints: [{ contextName: "country", operator: "IN", values: ["de"] }] },
    ],
  },
];

type Evaluate = (key: string, context: (typeof CONTEXTS)[number]) => unknown;

/** Evaluations per second of `evaluate` on `key`, cycling through the contexts, for `ms` after an equal warm-up. */
function throughput(evaluate: Evaluate, key: string, ms: number): number {
  let sink = 0;
  const pass = (duration: number) => {
    let count = 0;
    const until = performance.now() + duration;
    while (performance.now() < until) {
      for (let i = 0; i < 1024; i++) if (evaluate(key, CONTEXTS[i] as (typeof CONTEXTS)[number])) sink++;
      count += 1024;
    }
    return count;
  };
  pass(ms / 2);
  const started = performance.now();
  const count = pass(ms);
  const rate = count / ((performance.now() - started) / 1000);
  if (sink === -1) console.log(sink);
  return rate;
}

async function unleashClient(): Promise<Unleash> {
  const unleash = new Unleash({
    appName: "bench",
    url: "http://127.0.0.1:9/api/",
    refreshInterval: 0,
    disableMetrics: true,
    skipInstanceCountWarning: true,
    storageProvider: new InMemStorageProvider(),
    bootstrap: { data: unleashFeatures as never },
  });
  unleash.on("error", () => undefined);
  unleash.on("warn", () => undefined);
  await new Promise<void>((resolve) => unleash.once("ready", () => resolve()));
  return unleash;
}

async function inProcess(ms: number): Promise<void> {
  const ours = compileFlagSet({ version: 1, flags: { simple: onOff, rollout: half, rules }, segments: {} });
  const flagd = new FlagdCore();
  flagd.setConfigurations(flagdConfig);
  const unleash = await unleashClient();
  const libraries: Array<[string, Evaluate]> = [
    ["stagegate", (key, ctx) => ours.evaluate(key, ctx)],
    [
      "flagd-core",
      (key, ctx) =>
        key === "rules" ? flagd.resolveStringEvaluation(key, "", ctx) : flagd.resolveBooleanEvaluation(key, false, ctx),
    ],
    ["unleash-client", (key, ctx) => unleash.isEnabled(key, ctx)],
  ];
  // Same answers first: a fast evaluator that computes something else would prove nothing.
  const sample = CONTEXTS.slice(0, 200);
  const agree = sample.filter((ctx) => {
    const a = ours.evaluate("rules", ctx);
    return "value" in a && a.value === flagd.resolveStringEvaluation("rules", "", ctx).value;
  }).length;
  console.log(`check: stagegate and flagd-core agree on the 3-rule flag for ${agree}/${sample.length} contexts`);
  const rows: string[][] = [];
  for (const [scenario, key] of [
    ["on/off", "simple"],
    ["50 % rollout", "rollout"],
    ["3 targeting rules", "rules"],
  ] as const) {
    const rates = libraries.map(([, evaluate]) => throughput(evaluate, key, ms));
    const [ourRate = 0, flagdRate = 1, unleashRate = 1] = rates;
    rows.push([
      scenario,
      ...rates.map((r) => `${(r / 1e6).toFixed(2)}M`),
      `${(ourRate / flagdRate).toFixed(2)}×`,
      `${(ourRate / unleashRate).toFixed(1)}×`,
    ]);
  }
  unleash.destroy();
  console.log("\nin-process evaluations per second (main thread)\n");
  console.log(table(["scenario", "stagegate", "flagd-core", "unleash-client", "÷ flagd-core (≥ 1.0)", "÷ unleash (≥ 5)"], rows));
}

async function overHttp(durationSeconds: number, subscribers: number): Promise<void> {
  const bench = await startBenchApp({ FLAGS_RATE_LIMIT: "0" });
  const hello = Fastify();
  hello.post("/hello", async () => ({ hello: "world" }));
  try {
    const { app, token } = bench;
    const origin = await app.http.listen({ host: "127.0.0.1", port: 0 });
    const helloOrigin = await hello.listen({ host: "127.0.0.1", port: 0 });
    const api = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${origin}/api/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, "content-type": body === undefined ? "text/plain" : "application/json" },
        body: body === undefined ? null : JSON.stringify(body),
      });
      if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
      return response.json() as Promise<Record<string, unknown>>;
    };
    await fetch(`${origin}/api/v1/projects/bench/config`, {
      method: "PUT",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/yaml" },
      body: 'environments:\n  - name: live\n    executor: { type: shell, config: { command: ["true"] } }\n',
    });
    await api("POST", "/projects/bench/flags", { key: "rollout", type: "boolean", variants: { on: true, off: false } });
    await api("PUT", "/projects/bench/environments/live/flags/rollout/rollout", { percentage: 50 });
    const sdkKey = String((await api("POST", "/projects/bench/environments/live/sdk-keys", { name: "bench" })).key);

    const body = JSON.stringify({ context: { targetingKey: "user-42" } });
    const spec = { method: "POST" as const, body, connections: 50, durationSeconds };
    await runLoad({
      ...spec,
      origin: helloOrigin,
      paths: ["/hello"],
      headers: { "content-type": "application/json" },
      durationSeconds: 1,
    });
    const baseline = await runLoad({
      ...spec,
      origin: helloOrigin,
      paths: ["/hello"],
      headers: { "content-type": "application/json" },
    });
    const ofrepHeaders = { "content-type": "application/json", "x-api-key": sdkKey };
    await runLoad({ ...spec, origin, paths: ["/ofrep/v1/evaluate/flags/rollout"], headers: ofrepHeaders, durationSeconds: 1 });
    const ofrep = await runLoad({ ...spec, origin, paths: ["/ofrep/v1/evaluate/flags/rollout"], headers: ofrepHeaders });
    // The baseline again after: on a busy machine one pass can be unlucky; the ratio uses the faster of the two.
    const again = await runLoad({
      ...spec,
      origin: helloOrigin,
      paths: ["/hello"],
      headers: { "content-type": "application/json" },
    });
    const best = again.requestsPerSecond > baseline.requestsPerSecond ? again : baseline;
    console.log("\nOFREP over HTTP, 50 connections\n");
    console.log(
      table(
        ["scenario", "req/s", "p50 ms", "p99 ms", "non-2xx", "÷ hello-world (≥ 0.5)", "p99 < 10 ms"],
        [
          ...[baseline, again].map((b, i) => [
            `Fastify hello-world POST (baseline, ${i === 0 ? "before" : "after"})`,
            b.requestsPerSecond.toFixed(0),
            String(b.p50),
            String(b.p99),
            String(b.non2xx),
            b === best ? "1.00× (used)" : `${(b.requestsPerSecond / best.requestsPerSecond).toFixed(2)}×`,
            b.p99 < 10 ? "PASS" : "FAIL",
          ]),
          [
            "OFREP evaluate one flag (50 % rollout)",
            ofrep.requestsPerSecond.toFixed(0),
            String(ofrep.p50),
            String(ofrep.p99),
            String(ofrep.non2xx),
            `${(ofrep.requestsPerSecond / best.requestsPerSecond).toFixed(2)}×`,
            ofrep.p99 < 10 ? "PASS" : "FAIL",
          ],
        ],
      ),
    );
    await propagation({
      origin,
      sdkKey,
      subscribers,
      change: (enabled) => api("POST", `/projects/bench/environments/live/flags/rollout/${enabled ? "enable" : "disable"}`, {}),
    });
  } finally {
    await hello.close();
    await bench.close();
  }
}

/** Opens `count` SSE streams, changes the flag 5 times, and reports how long each change took to reach every stream. */
async function propagation(input: {
  origin: string;
  sdkKey: string;
  subscribers: number;
  change: (enabled: boolean) => Promise<unknown>;
}) {
  const agent = new http.Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY });
  const url = new URL("/ofrep/v1/events", input.origin);
  let changedAt = 0;
  const latencies: number[] = [];
  const requests: http.ClientRequest[] = [];
  await Promise.all(
    Array.from(
      { length: input.subscribers },
      () =>
        new Promise<void>((resolve, reject) => {
          const request = http.get(
            url,
            { agent, headers: { authorization: `Bearer ${input.sdkKey}`, accept: "text/event-stream" } },
            (response) => {
              if (response.statusCode !== 200) return reject(new Error(`SSE ${response.statusCode}`));
              response.setEncoding("utf8");
              response.on("data", (chunk: string) => {
                if (chunk.includes("refetchEvaluation")) latencies.push(performance.now() - changedAt);
              });
              resolve();
            },
          );
          request.on("error", reject);
          requests.push(request);
        }),
    ),
  );
  const perChange: number[] = [];
  for (let i = 0; i < 5; i++) {
    const before = latencies.length;
    changedAt = performance.now();
    await input.change(i % 2 === 1);
    const deadline = performance.now() + 5000;
    while (latencies.length < before + input.subscribers && performance.now() < deadline)
      await new Promise((r) => setTimeout(r, 5));
    perChange.push(latencies.length - before);
    await new Promise((r) => setTimeout(r, 200));
  }
  for (const request of requests) request.destroy();
  agent.destroy();
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (q: number) => (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN).toFixed(1);
  console.log(`\nflag change → ${input.subscribers} SSE subscribers, 5 changes (time from the change request to the event)\n`);
  console.log(
    table(
      ["events received", "p50 ms", "p99 ms", "max ms", "p99 < 1000 ms"],
      [
        [
          `${latencies.length} / ${5 * input.subscribers} (${perChange.join(", ")})`,
          at(0.5),
          at(0.99),
          at(1),
          Number(at(0.99)) < 1000 ? "PASS" : "FAIL",
        ],
      ],
    ),
  );
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  return [line(header), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.map(line)].join("\n");
}

export async function run(): Promise<void> {
  const ms = intFromEnv("BENCH_EVAL_MS", { fallback: 2000, min: 100 });
  const durationSeconds = intFromEnv("BENCH_DURATION", { fallback: 5, min: 1 });
  const subscribers = intFromEnv("BENCH_SUBSCRIBERS", { fallback: 1000, min: 1 });
  console.error(`node ${process.version}, ${availableParallelism()} cores`);
  await inProcess(ms);
  await overHttp(durationSeconds, subscribers);
}
