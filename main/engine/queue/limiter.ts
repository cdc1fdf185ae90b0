/**
 * The global bandwidth limit: a token bucket implementing the engine's `RateLimiter`. Waiters are served FIFO in
 * small slices (a 1 MiB request takes one slice and goes back to the end of the line), so every running upload gets
 * a fair share whatever its chunk size. The rate can change while uploads run.
 */
import type { RateLimiter } from '../tus/types';

interface Waiter {
  remaining: number;
  resolve: () => void;
  reject: (err: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/** Error thrown by `take` when its signal aborts (same shape as the engine's aborted TusError). */
export class LimiterAbortError extends Error {
  readonly code = 'aborted';
  readonly retryable = false;
  constructor() {
    super('The upload was stopped while waiting for bandwidth.');
    this.name = 'LimiterAbortError';
  }
}

/** A token bucket: `bytesPerSecond` 0 means unlimited. */
export class TokenBucketLimiter implements RateLimiter {
  private rate: number;
  private tokens = 0;
  private last: number;
  private readonly waiters: Waiter[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    bytesPerSecond = 0,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.rate = Math.max(0, bytesPerSecond);
    this.last = this.now();
  }

  /** Current limit in bytes per second (0 = unlimited). */
  get bytesPerSecond(): number {
    return this.rate;
  }

  /** Whether a limit is set: uploads skip the bucket (and send bigger slices) while it is not. */
  get active(): boolean {
    return this.rate > 0;
  }

  /** Changes the limit; waiters are re-planned at once (0 releases everyone). */
  setRate(bytesPerSecond: number): void {
    this.refill();
    this.rate = Math.max(0, bytesPerSecond);
    this.tokens = Math.min(this.tokens, this.capacity());
    // A wait planned at the old rate may be far too long (or short) now.
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.schedule(0);
  }

  take(bytes: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(new LimiterAbortError());
    if (this.rate === 0 || bytes <= 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const w: Waiter = { remaining: bytes, resolve, reject, signal };
      if (signal) {
        w.onAbort = () => {
          const i = this.waiters.indexOf(w, this.head);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(new LimiterAbortError());
        };
        signal.addEventListener('abort', w.onAbort, { once: true });
      }
      this.waiters.push(w);
      this.schedule(0);
    });
  }

  /** A slice is ~20 ms worth of bytes: small enough to interleave uploads, big enough to keep timers rare. */
  private slice(): number {
    return Math.max(1024, Math.min(256 * 1024, Math.floor(this.rate / 50)));
  }

  /** A small burst only, so a limit is held within a few percent even over short windows. */
  private capacity(): number {
    return Math.max(this.slice(), Math.floor(this.rate / 20));
  }

  private refill(): void {
    const t = this.now();
    if (this.rate > 0) this.tokens = Math.min(this.capacity(), this.tokens + ((t - this.last) / 1000) * this.rate);
    this.last = t;
  }

  private schedule(delayMs: number): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pump();
    }, delayMs);
  }

  private pump(): void {
    this.refill();
    while (this.head < this.waiters.length) {
      const w = this.waiters[this.head];
      if (this.rate === 0) {
        this.finish(w);
        continue;
      }
      const grant = Math.min(w.remaining, this.slice());
      if (this.tokens < grant) {
        this.compact();
        this.schedule(Math.max(1, ((grant - this.tokens) / this.rate) * 1000));
        return;
      }
      this.tokens -= grant;
      w.remaining -= grant;
      if (w.remaining <= 0) this.finish(w);
      else {
        // Back of the line: that is what makes sharing fair.
        this.head++;
        this.waiters.push(w);
      }
    }
    this.compact();
  }

  private finish(w: Waiter): void {
    this.head++;
    if (w.signal && w.onAbort) w.signal.removeEventListener('abort', w.onAbort);
    w.resolve();
  }

  private compact(): void {
    if (this.head > 1024 || this.head === this.waiters.length) {
      this.waiters.splice(0, this.head);
      this.head = 0;
    }
  }
}
