/**
 * A token bucket per key: `perSecond` requests a second on average, bursts up to one second's worth. In memory, per
 * replica: a limit against runaway clients, not a quota.
 */
export interface RateLimiter {
  /** 0 when the request may go ahead, else the seconds to wait (for `Retry-After`). */
  take(key: string): number;
}

export function createRateLimiter(perSecond: number, now: () => number = Date.now): RateLimiter {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take(key) {
      if (perSecond <= 0) return 0;
      const t = now();
      const bucket = buckets.get(key) ?? { tokens: perSecond, at: t };
      bucket.tokens = Math.min(perSecond, bucket.tokens + ((t - bucket.at) / 1000) * perSecond);
      bucket.at = t;
      if (buckets.size > 100_000) buckets.clear();
      buckets.set(key, bucket);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return 0;
      }
      return Math.max(1, Math.ceil((1 - bucket.tokens) / perSecond));
    },
  };
}
