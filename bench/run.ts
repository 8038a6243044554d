import { readdirSync } from "node:fs";

/** `npm run bench -- <name>` runs `bench/<name>.bench.ts`'s `run()`; anything else lists what there is and exits 2. */
const SUFFIX = ".bench.ts";

interface BenchModule {
  run(): Promise<void>;
}

function available(): string[] {
  return readdirSync(new URL(".", import.meta.url))
    .filter((file) => file.endsWith(SUFFIX))
    .map((file) => file.slice(0, -SUFFIX.length))
    .sort();
}

function isBenchModule(value: unknown): value is BenchModule {
  return typeof value === "object" && value !== null && typeof (value as { run?: unknown }).run === "function";
}

async function main(): Promise<number> {
  const name = process.argv[2];
  const names = available();
  if (name === undefined || !names.includes(name)) {
    if (name !== undefined) console.error(`No bench named "${name}".`);
    console.error(`Usage: npm run bench -- <name>\nAvailable: ${names.join(", ") || "(none)"}`);
    return 2;
  }
  const module: unknown = await import(new URL(`./${name}${SUFFIX}`, import.meta.url).href);
  if (!isBenchModule(module)) throw new Error(`bench/${name}${SUFFIX} must export an async run()`);
  await module.run();
  return 0;
}

process.exitCode = await main();
