/**
 * Bounded sample of numbers for quantiles: exact while it holds at most `cap` values (the common case: most stages
 * have fewer tasks than that), a uniform reservoir of `cap` values above it (Vitter's algorithm R). The maximum, minimum,
 * count and sum are always exact. Memory: `cap` doubles, whatever the stream.
 */
export class BoundedSample {
  private values: Float64Array;
  private size = 0;
  private seen = 0;
  private seed: number;
  max = Number.NEGATIVE_INFINITY;
  sum = 0;

  constructor(
    private readonly cap = 8192,
    seed = 0x9e3779b9,
  ) {
    this.values = new Float64Array(Math.min(cap, 64));
    this.seed = seed >>> 0;
  }

  get count(): number {
    return this.seen;
  }

  /** True once values were dropped, so quantiles are estimates. */
  get sampled(): boolean {
    return this.seen > this.cap;
  }

  add(value: number): void {
    this.seen++;
    this.sum += value;
    if (value > this.max) this.max = value;
    if (this.size < this.cap) {
      if (this.size === this.values.length) this.grow();
      this.values[this.size++] = value;
      return;
    }
    const slot = this.random() % this.seen;
    if (slot < this.cap) this.values[slot] = value;
  }

  /** Median as the mean of the two middle values for an even count (what most people, and Python's statistics, mean). */
  median(): number | null {
    if (this.size === 0) return null;
    const sorted = this.sorted();
    const mid = this.size >> 1;
    const upper = sorted[mid] ?? 0;
    return this.size % 2 === 1 ? upper : ((sorted[mid - 1] ?? 0) + upper) / 2;
  }

  /** Nearest-rank quantile, q in [0, 1]. */
  quantile(q: number): number | null {
    if (this.size === 0) return null;
    const sorted = this.sorted();
    const rank = Math.min(this.size - 1, Math.max(0, Math.ceil(q * this.size) - 1));
    return sorted[rank] ?? null;
  }

  private sorted(): Float64Array {
    return this.values.slice(0, this.size).sort();
  }

  private grow(): void {
    const next = new Float64Array(Math.min(this.cap, this.values.length * 2));
    next.set(this.values);
    this.values = next;
  }

  /** xorshift32: deterministic, so the same log always gives the same estimate. */
  private random(): number {
    let x = this.seed;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.seed = x >>> 0;
    return this.seed;
  }
}

/** Keeps the `k` largest items by `score`; O(k) memory. */
export class TopK<T> {
  private readonly items: { score: number; item: T }[] = [];
  constructor(private readonly k: number) {}

  offer(score: number, item: T): void {
    if (this.items.length < this.k) {
      this.items.push({ score, item });
      return;
    }
    let lowest = 0;
    for (let i = 1; i < this.items.length; i++) {
      if ((this.items[i]?.score ?? 0) < (this.items[lowest]?.score ?? 0)) lowest = i;
    }
    const current = this.items[lowest];
    if (current && score > current.score) this.items[lowest] = { score, item };
  }

  list(): T[] {
    return [...this.items].sort((a, b) => b.score - a.score).map((entry) => entry.item);
  }
}
