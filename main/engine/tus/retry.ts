import type { TusError } from './errors';

/** The retry knobs `shouldRetry` consults. */
export interface RetryOptions {
  maxRetries: number;
  onShouldRetry?: (error: TusError, attempt: number) => boolean;
}

/** Longest wait between two attempts, whatever the attempt count. */
export const MAX_RETRY_DELAY_MS = 60_000;

/**
 * Pure retry decision. `attempt` counts failures since the offset last advanced (0 for the first failure), so a
 * long upload over a flaky link is not failed by old errors.
 */
export function shouldRetry(err: TusError, attempt: number, options: RetryOptions): boolean {
  if (!err.retryable) return false;
  if (!(attempt < options.maxRetries)) return false;
  if (options.onShouldRetry && !options.onShouldRetry(err, attempt)) return false;
  return true;
}

/** Exponential backoff with full jitter: a random delay in [0, min(60 s, base · 2^attempt)]. */
export function retryDelay(attempt: number, base: number, random: () => number = Math.random): number {
  const ceiling = Math.min(MAX_RETRY_DELAY_MS, base * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}

/**
 * Longest wait a server's `Retry-After` can impose on one attempt. A rate limiter asks for seconds to minutes; a
 * maintenance page may say hours. Beyond this Tusk tries again anyway (and waits again if told to), so an upload
 * never sits for hours on one header, and the wait shown to a person stays meaningful.
 */
export const MAX_RETRY_AFTER_MS = 15 * 60_000;

/**
 * A `Retry-After` header (RFC 9110 §10.2.3: delay-seconds or an HTTP-date) as milliseconds from `now`, capped at
 * MAX_RETRY_AFTER_MS; undefined when absent or not one of the two forms. A date in the past is 0.
 */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Math.min(MAX_RETRY_AFTER_MS, Number(text) * 1000);
  // Only the date forms HTTP allows: Date.parse alone would also take "1" or "soon-ish 2020" in some engines.
  if (!/^[A-Za-z]{3},? .*\d{2}:\d{2}:\d{2}/.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, at - now));
}

/**
 * The wait before the next attempt: the backoff, or longer when the server said how long to wait (`Retry-After` on
 * a 429 or 503), since trying earlier only earns another refusal.
 */
export function retryWait(err: TusError, attempt: number, base: number, random: () => number = Math.random): number {
  return Math.max(retryDelay(attempt, base, random), err.retryAfterMs ?? 0);
}
