/**
 * Formatting of bytes, speeds, durations and times for people. Pure functions, unit-tested (format.test.ts).
 * Binary units (KiB = 1024 B) with short labels, as file managers show them.
 */

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];

/** `1536` → `1.5 KB`; three significant digits at most; negative or non-finite input → `—`. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—';
  if (bytes < 1024) return `${Math.round(bytes)} B`;
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  // Rounding can carry into the next unit (1023.96 KB → "1024 KB"); move up instead.
  if (Number(value.toFixed(value < 10 ? 1 : 0)) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = value < 10 ? 1 : 0;
  return `${value.toFixed(digits).replace(/\.0$/, '')} ${UNITS[unit]}`;
}

/** Bytes per second → `2.4 MB/s`; 0 or less → `—` (nothing moving). */
export function formatSpeed(bytesPerSecond: number): string {
  if (!Number.isFinite(bytesPerSecond) || bytesPerSecond <= 0) return '—';
  return `${formatBytes(bytesPerSecond)}/s`;
}

/** Seconds → `<1s`, `45s`, `3m 05s`, `2h 07m`, `3d 4h`; unknown or negative → `—`. */
export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '—';
  if (seconds > 0 && seconds < 0.5) return '<1s';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${String(m % 60).padStart(2, '0')}m`;
  const d = Math.floor(h / 24);
  return `${d}d ${h % 24}h`;
}

/** An ETA label: `3m 05s left`, or `—` when unknown. Anything beyond 30 days is not a useful promise. */
export function formatEta(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '—';
  if (seconds > 30 * 86_400) return 'more than a month';
  return `${formatDuration(seconds)} left`;
}

/** Progress as a 0..1 fraction; an empty file counts as done once completed. */
export function progressFraction(offset: number, size: number, completed = false): number {
  if (completed) return 1;
  if (!(size > 0)) return 0;
  return Math.min(1, Math.max(0, offset / size));
}

/** `0.4567` → `45.7%` (below 10% one decimal, never 100% until complete). */
export function formatPercent(fraction: number, completed = false): string {
  if (completed) return '100%';
  const p = Math.min(99.9, Math.max(0, fraction * 100));
  return `${p < 10 || p >= 99 ? p.toFixed(1) : Math.floor(p)}%`;
}

/** Epoch ms → local `YYYY-MM-DD HH:MM:SS`. */
export function formatTime(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '—';
  const d = new Date(ms);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** Seconds until `at` (for the retry countdown), never negative. */
export function secondsUntil(at: number, now: number): number {
  return Math.max(0, Math.ceil((at - now) / 1000));
}

/**
 * Parses what a person types as a bandwidth limit: `0`/empty/`unlimited` → 0, `500k`, `2.5 MB`, `1m` (per second).
 * Returns undefined for input it cannot read, so the caller can say so instead of guessing.
 */
export function parseBandwidth(text: string): number | undefined {
  const t = text.trim().toLowerCase().replace(/\/s$/, '').replace(/ps$/, '');
  if (t === '' || t === 'unlimited' || t === 'off' || t === 'none') return 0;
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?$/.exec(t);
  if (!m) return undefined;
  const factor = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[m[2] as '' | 'k' | 'm' | 'g' | 't'];
  const value = Number(m[1]);
  // A bare number is ambiguous (bytes? KB?): refuse it unless it is zero, so the caller asks for a unit.
  if (m[2] === '' && m[3] === undefined && value !== 0) return undefined;
  return Math.round(value * factor);
}
