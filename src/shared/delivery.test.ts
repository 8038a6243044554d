import { describe, expect, it } from "vitest";
import { DEFAULT_DELIVERY_POLICY, retryAfterMs, retryDelayMs } from "./delivery.ts";

describe("retry delay", () => {
  it("doubles from the base up to the cap", () => {
    expect([1, 2, 3, 7, 8].map((attempt) => retryDelayMs(attempt, undefined))).toEqual([
      15_000, 30_000, 60_000, 900_000, 900_000,
    ]);
  });

  it("waits at least as long as the provider asked, up to an hour", () => {
    expect(retryDelayMs(1, 40_000)).toBe(40_000);
    expect(retryDelayMs(5, 3_000)).toBe(240_000);
    expect(retryDelayMs(1, 5 * 3_600_000)).toBe(DEFAULT_DELIVERY_POLICY.maxRetryAfterMs);
  });
});

describe("Retry-After", () => {
  const now = Date.parse("2026-01-01T00:00:00Z");

  it("reads seconds and HTTP dates", () => {
    expect(retryAfterMs(new Headers({ "retry-after": "3" }), now)).toBe(3000);
    expect(retryAfterMs(new Headers({ "retry-after": " 0 " }), now)).toBe(0);
    expect(retryAfterMs(new Headers({ "retry-after": "Thu, 01 Jan 2026 00:00:30 GMT" }), now)).toBe(30_000);
  });

  it("never asks to wait into the past", () => {
    expect(retryAfterMs(new Headers({ "retry-after": "Wed, 31 Dec 2025 23:59:00 GMT" }), now)).toBe(0);
  });

  it("ignores a missing or unreadable header", () => {
    expect(retryAfterMs(new Headers(), now)).toBeUndefined();
    expect(retryAfterMs(new Headers({ "retry-after": "soon" }), now)).toBeUndefined();
  });
});
