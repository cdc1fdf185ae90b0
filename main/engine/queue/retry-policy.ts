/** Job-level retry policy: which failures are retried (as the UI sees them) and how long to wait before the next try. */
import type { ErrorInfo } from '../../../shared/types';

/** Turns whatever an upload threw into what a person sees. */
export function toErrorInfo(err: unknown): ErrorInfo {
  const e = err as { code?: unknown; message?: unknown; hint?: unknown; status?: unknown; retryable?: unknown };
  const code = typeof e?.code === 'string' ? e.code : 'error';
  const info: ErrorInfo = {
    code,
    message: typeof e?.message === 'string' ? e.message : String(err),
    retryable: typeof e?.retryable === 'boolean' ? e.retryable : code === 'network' || code === 'timeout',
  };
  if (typeof e?.hint === 'string') info.hint = e.hint;
  if (typeof e?.status === 'number') info.status = e.status;
  return info;
}

/**
 * How long the server asked to wait (a 429 or 503 with `Retry-After`, as the engine parsed it), or 0. The queue's
 * backoff never undercuts it: trying earlier only earns another refusal, and a rate limiter may count that against
 * the user.
 */
export function serverRetryAfter(err: unknown): number {
  const ms = (err as { retryAfterMs?: unknown } | undefined)?.retryAfterMs;
  return typeof ms === 'number' && Number.isFinite(ms) && ms > 0 ? ms : 0;
}

/** The delay before retry number `streak` (1-based): capped exponential backoff with ±20% jitter. */
export function retryDelay(streak: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const raw = Math.min(maxMs, baseMs * 2 ** Math.max(0, Math.min(30, streak - 1)));
  return Math.max(0, Math.round(raw * (0.8 + 0.4 * random())));
}
