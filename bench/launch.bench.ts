import { spawn } from "node:child_process";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { Launcher } from "../src/features/deployments/executors/launcher.ts";
import { intFromEnv } from "./lib/env.ts";
import { markdownTable } from "./lib/report.ts";

/**
 * `npm run bench -- launch`: what starting a shell deploy's command costs the server, with `child_process.spawn` in
 * the server process (forking it) against the Launcher (a small helper process forks instead). The process first holds
 * BENCH_HEAP_MB (300) of memory, as a busy server does; each command is `true`, BENCH_COMMANDS (100) of them, one
 * after another. After each command the server writes one byte to every page it holds (the work a server does between
 * deploys, touched all at once): after a fork those writes fault, page by page. The baseline touches the same pages
 * with no commands at all.
 */
interface Row {
  mode: string;
  wallMs: number;
  cpuMs: number;
  faults: number;
  touchMs: number;
  loopMaxMs: number;
}

const PAGE = 4096;

function holdMemory(mib: number): Uint8Array[] {
  return Array.from({ length: mib }, () => new Uint8Array(1024 * 1024).fill(1));
}

function touch(memory: Uint8Array[]): void {
  for (const block of memory) for (let i = 0; i < block.length; i += PAGE) block[i] = (block[i] ?? 0) + 1;
}

function runSpawn(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("true", [], { detached: true, stdio: ["ignore", "pipe", "pipe"] });
    child.once("error", reject);
    child.once("close", () => resolve());
  });
}

async function measure(mode: string, memory: Uint8Array[], commands: number, start: (() => Promise<void>) | null): Promise<Row> {
  const loop = monitorEventLoopDelay({ resolution: 1 });
  const faults0 = process.resourceUsage().minorPageFault;
  const cpu0 = process.cpuUsage();
  const began = performance.now();
  let touchMs = 0;
  loop.enable();
  for (let i = 0; i < commands; i++) {
    if (start) await start();
    const t = performance.now();
    touch(memory);
    touchMs += performance.now() - t;
  }
  loop.disable();
  const cpu = process.cpuUsage(cpu0);
  return {
    mode,
    wallMs: (performance.now() - began) / commands,
    cpuMs: (cpu.user + cpu.system) / 1000 / commands,
    faults: (process.resourceUsage().minorPageFault - faults0) / commands,
    touchMs: touchMs / commands,
    loopMaxMs: loop.max / 1e6,
  };
}

export async function run(): Promise<void> {
  const heapMb = intFromEnv("BENCH_HEAP_MB", { fallback: 300, min: 1 });
  const commands = intFromEnv("BENCH_COMMANDS", { fallback: 100, min: 1 });
  const memory = holdMemory(heapMb);
  const launcher = new Launcher();
  const viaLauncher = async () => {
    const child = await launcher.launch({ program: "true", args: [], env: process.env, shell: false });
    child.stdout.resume();
    child.stderr.resume();
    await child.exited;
  };
  try {
    await viaLauncher(); // the helper process starts once, on first use (a fork of this process, like any spawn)
    touch(memory); // the copy-on-write faults of that one fork, before anything is measured
    const rows: Row[] = [];
    // Twice each, interleaved, so a noisy neighbour shows up as disagreement between the two rounds.
    for (let round = 0; round < 2; round++) {
      rows.push(await measure("baseline: no command", memory, commands, null));
      rows.push(await measure("spawn() in the server", memory, commands, runSpawn));
      rows.push(await measure("Launcher", memory, commands, viaLauncher));
    }
    console.log(`\n${heapMb} MiB held, ${commands} commands (\`true\`) one after another; per command:`);
    const base = rows.filter((r) => r.mode.startsWith("baseline"));
    const baseTouch = base.reduce((sum, r) => sum + r.touchMs, 0) / base.length;
    console.log(
      markdownTable(
        ["mode", "wall ms", "server CPU ms", "minor faults", "touch ms", "touch × baseline", "longest loop block ms"],
        rows.map((r) => [
          r.mode,
          r.wallMs.toFixed(2),
          r.cpuMs.toFixed(2),
          r.faults.toFixed(0),
          r.touchMs.toFixed(2),
          `${(r.touchMs / baseTouch).toFixed(1)}×`,
          r.loopMaxMs.toFixed(1),
        ]),
      ),
    );
  } finally {
    launcher.close();
  }
}
