import { Value } from "typebox/value";
import { describe, expect, it } from "vitest";
import { activeFreeze, checkFreezeWindows, type FreezeWindow, FreezeWindowsSchema } from "./freeze.ts";

const weekend: FreezeWindow = { cron: "0 18 * * 5", duration: "62h", timezone: "Europe/Berlin", reason: "weekend freeze" };
const at = (iso: string) => new Date(iso);

describe("activeFreeze", () => {
  it("freezes a Berlin weekend from Friday 18:00 until Monday 08:00 local time", () => {
    // 2026-11-28 is a Saturday; Berlin is on CET (UTC+1).
    expect(activeFreeze([weekend], at("2026-11-28T11:00:00Z"))).toEqual({
      reason: "weekend freeze",
      startedAt: "2026-11-27T17:00:00.000Z",
      liftsAt: "2026-11-30T07:00:00.000Z",
    });
    expect(activeFreeze([weekend], at("2026-11-30T06:59:59.999Z"))).not.toBeNull();
    expect(activeFreeze([weekend], at("2026-11-30T07:00:00Z"))).toBeNull();
    expect(activeFreeze([weekend], at("2026-11-27T16:59:59.999Z"))).toBeNull();
    expect(activeFreeze([weekend], at("2026-11-27T17:00:00Z"))?.startedAt).toBe("2026-11-27T17:00:00.000Z");
  });

  it("keeps a Friday 18:00 → Monday 08:00 freeze on the wall clock across the weekend the clocks go forward", () => {
    // Clocks go forward on Sunday 2026-03-29: 18:00 CET on Friday to 08:00 CEST on Monday is 61 real hours.
    expect(activeFreeze([weekend], at("2026-03-28T11:00:00Z"))).toMatchObject({
      startedAt: "2026-03-27T17:00:00.000Z",
      liftsAt: "2026-03-30T06:00:00.000Z",
    });
    expect(activeFreeze([weekend], at("2026-03-30T05:59:59.999Z"))).not.toBeNull();
    expect(activeFreeze([weekend], at("2026-03-30T06:00:00Z"))).toBeNull();
    // The next Friday is read in CEST (UTC+2): 16:00Z, lifting at 08:00 CEST again.
    expect(activeFreeze([weekend], at("2026-04-04T10:00:00Z"))).toMatchObject({
      startedAt: "2026-04-03T16:00:00.000Z",
      liftsAt: "2026-04-06T06:00:00.000Z",
    });
  });

  it("still lifts at 08:00 local on the weekend the clocks go back, 63 real hours later", () => {
    // Sunday 2026-10-25: 18:00 CEST on Friday to 08:00 CET on Monday.
    expect(activeFreeze([weekend], at("2026-10-24T10:00:00Z"))).toMatchObject({
      startedAt: "2026-10-23T16:00:00.000Z",
      liftsAt: "2026-10-26T07:00:00.000Z",
    });
    expect(activeFreeze([weekend], at("2026-10-26T06:30:00Z"))).not.toBeNull();
  });

  it("lifts at Monday 08:00 local in London and New York on both DST changes", () => {
    const friday = (timezone: string): FreezeWindow => ({ cron: "0 18 * * 5", duration: "62h", timezone });
    const cases = [
      // London: BST starts 2026-03-29 and ends 2026-10-25.
      ["Europe/London", "2026-03-28T12:00:00Z", "2026-03-27T18:00:00.000Z", "2026-03-30T07:00:00.000Z"],
      ["Europe/London", "2026-10-24T12:00:00Z", "2026-10-23T17:00:00.000Z", "2026-10-26T08:00:00.000Z"],
      // New York: EDT starts 2026-03-08 and ends 2026-11-01.
      ["America/New_York", "2026-03-07T12:00:00Z", "2026-03-06T23:00:00.000Z", "2026-03-09T12:00:00.000Z"],
      ["America/New_York", "2026-10-31T12:00:00Z", "2026-10-30T22:00:00.000Z", "2026-11-02T13:00:00.000Z"],
    ] as const;
    for (const [zone, now, startedAt, liftsAt] of cases) {
      expect(activeFreeze([friday(zone)], at(now)), `${zone} ${now}`).toMatchObject({ startedAt, liftsAt });
    }
  });

  it("moves an end in the skipped hour past it, and takes the first of a repeated hour", () => {
    const nightly: FreezeWindow = { cron: "30 0 * * *", duration: "1h", timezone: "Europe/London", reason: "backup" };
    // 00:30 GMT + 1h = 01:30, which does not exist on 2026-03-29: the freeze lifts at 02:30 BST (01:30Z).
    expect(activeFreeze([nightly], at("2026-03-29T00:45:00Z"))?.liftsAt).toBe("2026-03-29T01:30:00.000Z");
    // 00:30 BST + 1h = 01:30, which happens twice on 2026-10-25: the first, 01:30 BST (00:30Z).
    expect(activeFreeze([nightly], at("2026-10-24T23:45:00Z"))).toMatchObject({
      startedAt: "2026-10-24T23:30:00.000Z",
      liftsAt: "2026-10-25T00:30:00.000Z",
    });
  });

  it("opens a 30 minute window at the top of every hour", () => {
    const hourly: FreezeWindow = { cron: "0 * * * *", duration: "30m", timezone: "UTC", reason: "batch import" };

    expect(activeFreeze([hourly], at("2026-06-01T10:10:00Z"))).toEqual({
      reason: "batch import",
      startedAt: "2026-06-01T10:00:00.000Z",
      liftsAt: "2026-06-01T10:30:00.000Z",
    });
    expect(activeFreeze([hourly], at("2026-06-01T10:30:00Z"))).toBeNull();
    expect(activeFreeze([hourly], at("2026-06-01T10:59:59Z"))).toBeNull();
    expect(activeFreeze([hourly], at("2026-06-01T11:00:00Z"))?.startedAt).toBe("2026-06-01T11:00:00.000Z");
  });

  it("accepts a duration in seconds and names the window when it has no reason", () => {
    const nightly: FreezeWindow = { cron: "0 2 * * *", duration: 3600, timezone: "UTC" };

    expect(activeFreeze([nightly], at("2026-06-01T02:59:00Z"))).toEqual({
      reason: 'freeze window "0 2 * * *" (UTC)',
      startedAt: "2026-06-01T02:00:00.000Z",
      liftsAt: "2026-06-01T03:00:00.000Z",
    });
  });

  it("answers with the overlapping window that lifts last, whatever the order", () => {
    const nightly: FreezeWindow = { cron: "0 22 * * *", duration: "12h", timezone: "Europe/Berlin", reason: "nightly batch" };

    // Sunday 23:00 CET: the weekend lifts Monday 08:00, the nightly window Monday 10:00.
    const sundayNight = at("2026-11-29T22:00:00Z");
    expect(activeFreeze([weekend, nightly], sundayNight)).toMatchObject({
      reason: "nightly batch",
      liftsAt: "2026-11-30T09:00:00.000Z",
    });
    expect(activeFreeze([nightly, weekend], sundayNight)?.reason).toBe("nightly batch");
    // Saturday noon: Friday's nightly window has ended, the weekend one has not.
    expect(activeFreeze([nightly, weekend], at("2026-11-28T11:00:00Z"))?.reason).toBe("weekend freeze");
  });

  it("is null without windows", () => {
    expect(activeFreeze([], new Date())).toBeNull();
  });

  it("refuses to evaluate a window that does not check out", () => {
    expect(() => activeFreeze([{ ...weekend, timezone: "Mars/Olympus" }], new Date())).toThrow(
      /freezeWindows\[0\]\.timezone "Mars\/Olympus" is not a time zone/,
    );
  });
});

describe("checkFreezeWindows", () => {
  it("finds nothing wrong with valid windows", () => {
    const windows: FreezeWindow[] = [
      weekend,
      { cron: "*/15 9-17 * * 1-5", duration: 600, timezone: "America/New_York" },
      { cron: "@daily", duration: "1h30m", timezone: "UTC" },
    ];

    expect(checkFreezeWindows(windows)).toEqual([]);
    expect(Value.Check(FreezeWindowsSchema, windows)).toBe(true);
  });

  it("names the field, the value and what to write instead", () => {
    const errors = checkFreezeWindows([weekend, { cron: "61 * * * *", duration: "3x", timezone: "Mars/Olympus" }]);

    expect(errors).toEqual([
      'freezeWindows[1].timezone "Mars/Olympus" is not a time zone: use an IANA name such as Europe/Berlin or UTC',
      expect.stringMatching(/^freezeWindows\[1\]\.cron "61 \* \* \* \*" is not a cron expression: .*59/),
      'freezeWindows[1].duration "3x" is not a duration: use e.g. 62h, 30m, 1h30m or a number of seconds',
    ]);
  });

  it("refuses a cron without five fields, an impossible date and an empty duration", () => {
    const errors = checkFreezeWindows(
      [
        { cron: "0 18 * * 5 *", duration: "1h", timezone: "UTC" },
        { cron: "0 0 30 2 *", duration: "1h", timezone: "UTC" },
        { cron: "0 18 * * 5", duration: 0, timezone: "UTC" },
      ],
      { path: "environments[2].approval.freezeWindows" },
    );

    expect(errors).toEqual([
      'environments[2].approval.freezeWindows[0].cron "0 18 * * 5 *" is not a cron expression: expected 5 fields (minute hour day-of-month month day-of-week), got 6',
      expect.stringMatching(/^environments\[2\]\.approval\.freezeWindows\[1\]\.cron "0 0 30 2 \*" is not a cron expression: /),
      "environments[2].approval.freezeWindows[2].duration must be longer than 0",
    ]);
  });

  it("catches what the schema lets through: an unknown zone, a bad cron, a bad duration", () => {
    const window = { cron: "bogus", duration: "soon", timezone: "Nowhere/Land" };

    expect(Value.Check(FreezeWindowsSchema, [window])).toBe(true);
    expect(checkFreezeWindows([window])).toHaveLength(3);
  });
});
