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
