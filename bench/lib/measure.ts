import { performance } from "node:perf_hooks";
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

const kernelPeakRss = (): number => process.resourceUsage().maxRSS * 1024;

export interface MemorySample {
  /** RSS when sampling started, in bytes. */
  before: number;
  /**
   * Highest RSS seen: the 50 ms samples, or the kernel's high-water mark (`maxRSS`) when it rose while sampling, since
   * a peak reached while the event loop was blocked is never sampled.
   */
  peak: number;
  after: number;
  samples: number;
  /** Longest stretch without a timer turn (gap between ticks minus the interval): how long a request could have waited. */
  blockedMs: number;
}

/** `process.memoryUsage().rss` every `intervalMs` (the cheap `rss()` form of it) until stopped. */
export class RssSampler {
  private peak: number;
  private samples = 0;
  private lastTick = performance.now();
  private longestGap = 0;
  private readonly timer: NodeJS.Timeout;
  private readonly kernelPeakBefore = kernelPeakRss();
  readonly before: number;

  constructor(private readonly intervalMs = 50) {
    this.before = process.memoryUsage.rss();
    this.peak = this.before;
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  private sample(): void {
    const now = performance.now();
    this.longestGap = Math.max(this.longestGap, now - this.lastTick);
    this.lastTick = now;
    const rss = process.memoryUsage.rss();
    this.samples += 1;
    if (rss > this.peak) this.peak = rss;
  }

  stop(): MemorySample {
    clearInterval(this.timer);
    // Also the stretch since the last tick: work that never yields ends here, before any timer could fire.
    this.sample();
    const kernelPeak = kernelPeakRss();
    return {
      before: this.before,
      peak: kernelPeak > this.kernelPeakBefore ? Math.max(this.peak, kernelPeak) : this.peak,
      after: process.memoryUsage.rss(),
      samples: this.samples,
      blockedMs: Math.max(0, this.longestGap - this.intervalMs),
    };
  }
}

export interface Timed<T> {
  ms: number;
  value: T;
  memory: MemorySample;
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
