import { useEffect, useState } from "react";

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["year", 31_536_000_000],
  ["month", 2_592_000_000],
  ["day", 86_400_000],
  ["hour", 3_600_000],
  ["minute", 60_000],
];
const rtf = new Intl.RelativeTimeFormat("en", { numeric: "auto", style: "short" });

export function relative(iso: string, now = Date.now()): string {
  const diff = Date.parse(iso) - now;
  for (const [unit, ms] of UNITS) if (Math.abs(diff) >= ms) return rtf.format(Math.round(diff / ms), unit);
  return Math.abs(diff) < 10_000 ? "just now" : rtf.format(Math.round(diff / 1000), "second");
}

export const exact = (iso: string) =>
  `${new Date(iso).toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "medium", timeZone: "UTC" })} UTC`;

function useNow(intervalMs = 30_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

/** "12 min ago", with the exact UTC time on hover. */
export function RelTime({ at }: { at: string | null | undefined }) {
  const now = useNow();
  if (!at) return <span className="muted">—</span>;
  return (
    <time dateTime={at} title={exact(at)}>
      {relative(at, now)}
    </time>
  );
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${m % 60} min`;
  return `${Math.round(h / 24)} d`;
}

export function Duration({ ms }: { ms: number | null | undefined }) {
  return <span className="mono">{formatDuration(ms)}</span>;
}

/** Live elapsed time between two instants (to now while the second is missing). */
export function Elapsed({ from, to }: { from: string | null; to: string | null }) {
  const now = useNow(1000);
  if (!from) return <span className="muted">—</span>;
  return <Duration ms={(to ? Date.parse(to) : now) - Date.parse(from)} />;
}

export const number = (n: number) => n.toLocaleString("en-US");
export const percent = (p: number | null | undefined, digits = 1) =>
  p === null || p === undefined ? "—" : `${p.toFixed(digits)}%`;
