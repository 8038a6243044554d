import { CronExpressionParser } from "cron-parser";
import { type Static, Type } from "typebox";
import { parseDuration } from "../../shared/duration.ts";
import { errorMessage } from "../../shared/errors.ts";

/**
 * One entry of `approval.freezeWindows` in stagegate.yaml: a freeze starts at every occurrence of `cron`, read in
 * `timezone`, and lasts `duration` on that zone's wall clock. So a Friday 18:00 + 62h freeze lifts at 08:00 on Monday
 * local time every week, also on the weekends the clocks change (61 or 63 elapsed hours then): people write freezes
 * in office hours, not in elapsed time. An end that falls into the hour skipped in spring moves past it; one in the
 * hour repeated in autumn takes its first occurrence (RFC 5545 / Temporal "compatible").
 */
export const FreezeWindowSchema = Type.Object(
  {
    cron: Type.String({
      minLength: 1,
      maxLength: 200,
      description: 'when a freeze starts: minute hour day-of-month month day-of-week, e.g. "0 18 * * 5" (Fridays 18:00)',
    }),
    duration: Type.Union([Type.String({ minLength: 1, maxLength: 50 }), Type.Number({ exclusiveMinimum: 0 })], {
      description: "how long each freeze lasts: 62h, 30m, 1h30m, or a number of seconds",
    }),
    timezone: Type.String({
      minLength: 1,
      maxLength: 100,
      description: "IANA time zone in which cron is read, e.g. Europe/Berlin or UTC",
    }),
    reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500, description: "shown to whoever is refused" })),
  },
  { additionalProperties: false },
);
export type FreezeWindow = Static<typeof FreezeWindowSchema>;

export const FreezeWindowsSchema = Type.Array(FreezeWindowSchema, { maxItems: 20 });

export interface ActiveFreeze {
  reason: string;
  /** ISO time of the cron occurrence that started the freeze in force. */
  startedAt: string;
  /** ISO time from which deployments may go ahead again (exclusive end of the window). */
  liftsAt: string;
}

interface CompiledWindow {
  window: FreezeWindow;
  durationMs: number;
}

/**
 * What is wrong with each window, one human message per problem (`freezeWindows[0].timezone "Mars/Olympus" is not a
 * time zone …`); empty when all of them can be evaluated. `path` names the list in the messages.
 */
export function checkFreezeWindows(windows: readonly FreezeWindow[], options: { path?: string } = {}): string[] {
  const path = options.path ?? "freezeWindows";
  return windows.flatMap((window, index) => compile(window, `${path}[${index}]`).errors);
}

/**
 * The freeze in force at `now`: a window whose latest start is ≤ now < start + duration. Where several overlap, the
 * one lifting last, since that is when deployments may go ahead. Throws on a window `checkFreezeWindows` refuses.
 */
export function activeFreeze(windows: readonly FreezeWindow[], now: Date): ActiveFreeze | null {
  let found: ActiveFreeze | null = null;
  for (const [index, window] of windows.entries()) {
    const compiled = compile(window, `freezeWindows[${index}]`);
    if (!compiled.ok) throw new TypeError(`cannot evaluate a freeze window: ${compiled.errors.join("; ")}`);
    const start = latestStart(compiled.value, now);
    const lifts = addWallClock(start, compiled.value.durationMs, window.timezone);
    if (now.getTime() >= lifts || (found && Date.parse(found.liftsAt) >= lifts)) continue;
    found = { reason: reasonOf(window), startedAt: new Date(start).toISOString(), liftsAt: new Date(lifts).toISOString() };
  }
  return found;
}

/** How far `timeZone`'s wall clock is ahead of UTC at `instant` (ms; negative west of Greenwich). */
function offsetAt(instant: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "numeric",
    minute: "numeric",
    second: "numeric",
  }).formatToParts(new Date(instant));
  const part = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value ?? Number.NaN);
  const wall = Date.UTC(part("year"), part("month") - 1, part("day"), part("hour"), part("minute"), part("second"));
  return wall - Math.floor(instant / 1000) * 1000;
}

/** `start` + `durationMs` on the wall clock of `timeZone`, as an instant (see FreezeWindowSchema for gaps and repeats). */
export function addWallClock(start: number, durationMs: number, timeZone: string): number {
  const wall = start + offsetAt(start, timeZone) + durationMs;
  const DAY = 86_400_000;
  // Offsets a day either side bracket any single change; the candidates whose wall clock reads `wall` are the answers.
  const offsets = [...new Set([offsetAt(wall - DAY, timeZone), offsetAt(wall + DAY, timeZone)])];
  const matching = offsets.map((offset) => wall - offset).filter((instant) => instant + offsetAt(instant, timeZone) === wall);
  if (matching.length > 0) return Math.min(...matching);
  // In the skipped hour: read with the offset from before the change, which lands as far past the gap as it was into it.
  return wall - offsetAt(wall - DAY, timeZone);
}

/** The latest cron occurrence at or before `now`, in milliseconds. */
function latestStart(compiled: CompiledWindow, now: Date): number {
  const { cron, timezone } = compiled.window;
  // prev() returns occurrences strictly before currentDate; one millisecond later makes a start at exactly `now` count.
  const expression = CronExpressionParser.parse(cron.trim(), { currentDate: new Date(now.getTime() + 1), tz: timezone });
  return expression.prev().getTime();
}

function reasonOf(window: FreezeWindow): string {
  return window.reason ?? `freeze window "${window.cron}" (${window.timezone})`;
}

type Compiled = { ok: true; value: CompiledWindow; errors: [] } | { ok: false; errors: string[] };

function compile(window: FreezeWindow, at: string): Compiled {
  const errors: string[] = [];
  const zoneOk = isTimeZone(window.timezone);
  if (!zoneOk) {
    errors.push(`${at}.timezone "${window.timezone}" is not a time zone: use an IANA name such as Europe/Berlin or UTC`);
  }
  const cronError = checkCron(window.cron, zoneOk ? window.timezone : "UTC");
  if (cronError) errors.push(`${at}.cron "${window.cron}" is not a cron expression: ${cronError}`);
  const durationMs = parseDuration(window.duration);
  if (durationMs === undefined) {
    errors.push(`${at}.duration "${window.duration}" is not a duration: use e.g. 62h, 30m, 1h30m or a number of seconds`);
  } else if (durationMs <= 0) {
    errors.push(`${at}.duration must be longer than 0`);
  }
  if (errors.length > 0 || durationMs === undefined) return { ok: false, errors };
  return { ok: true, value: { window, durationMs }, errors: [] };
}

function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat(undefined, { timeZone });
    return true;
  } catch {
    // RangeError is the only way Intl says a zone is unknown.
    return false;
  }
}

const FIELDS = "minute hour day-of-month month day-of-week";

/** Undefined when `cron` is usable, else why not. */
function checkCron(cron: string, timezone: string): string | undefined {
  const text = cron.trim();
  const fields = text.split(/\s+/).length;
  // cron-parser also takes a leading seconds field; a 6th field here is far more often a typo than a wish for seconds.
  if (!text.startsWith("@") && fields !== 5) return `expected 5 fields (${FIELDS}), got ${text === "" ? 0 : fields}`;
  try {
    CronExpressionParser.parse(text, { tz: timezone }).next();
    return undefined;
  } catch (error) {
    return `${errorMessage(error)} (fields: ${FIELDS})`;
  }
}
