/** Time source for services and jobs; tests may pass their own. Timestamps are ISO-8601 UTC strings. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export function isoNow(clock: Clock): string {
  return clock.now().toISOString();
}
