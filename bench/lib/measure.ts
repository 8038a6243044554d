import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

export const MiB = 1024 * 1024;

/** "52.4 MiB" */
export function mib(bytes: number, digits = 1): string {
  return `${(bytes / MiB).toFixed(digits)} MiB`;
}

/** "1234 ms" under 10 s, else "12.3 s". */
export function duration(ms: number): string {
  return ms < 10_000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** The value at quantile `q` (0–1) of the samples, nearest-rank. */
export function percentile(samples: number[], q: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

export function median(samples: number[]): number {
  return percentile(samples, 0.5);
}

/** `process.memoryUsage().rss` every `intervalMs` (the cheap `rss()` form of it), plus event-loop delay, until stopped. */
export class RssSampler {
  private peak: number;
  private samples = 0;
  private readonly timer: NodeJS.Timeout;
  private readonly loop = monitorEventLoopDelay({ resolution: 10 });
  readonly before: number;

  constructor(intervalMs = 50) {
    this.before = process.memoryUsage.rss();
    this.peak = this.before;
    this.loop.enable();
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  private sample(): void {
    const rss = process.memoryUsage.rss();
    this.samples += 1;
    if (rss > this.peak) this.peak = rss;
  }

  /** Peak and final RSS in bytes; event-loop delay in ms (how long a request to the same process could have waited). */
  stop(): { before: number; peak: number; after: number; samples: number; loopMaxMs: number; loopP99Ms: number } {
    clearInterval(this.timer);
    this.sample();
    this.loop.disable();
    return {
      before: this.before,
      peak: this.peak,
      after: process.memoryUsage.rss(),
      samples: this.samples,
      loopMaxMs: this.loop.max / 1e6,
      loopP99Ms: this.loop.percentile(99) / 1e6,
    };
  }
}

export interface Timed<T> {
  ms: number;
  value: T;
  memory: ReturnType<RssSampler["stop"]>;
}

/** Runs `work` once, with wall time and RSS sampled every 50 ms while it runs. */
export async function measure<T>(work: () => Promise<T>): Promise<Timed<T>> {
  const sampler = new RssSampler(50);
  const started = performance.now();
  try {
    const value = await work();
    const ms = performance.now() - started;
    return { ms, value, memory: sampler.stop() };
  } catch (error) {
    sampler.stop();
    throw error;
  }
}

let gc: (() => void) | undefined;

/**
 * A full GC, so an RSS baseline is not inflated by garbage of the step before. `npm run bench` does not pass
 * --expose-gc, so the flag is set at run time and `gc` taken from a fresh context (V8 only installs it in new ones).
 * Returns false when that did not work; the baseline is then just noisier.
 */
export function collectGarbage(): boolean {
  if (!gc) {
    const existing: unknown = (globalThis as { gc?: unknown }).gc;
    if (typeof existing === "function") gc = existing as () => void;
    else {
      setFlagsFromString("--expose-gc");
      const fresh: unknown = runInNewContext("gc");
      if (typeof fresh === "function") gc = fresh as () => void;
    }
  }
  if (!gc) return false;
  gc();
  gc();
  return true;
}
