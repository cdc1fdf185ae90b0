/**
 * Smoothed speeds: bytes are counted as they are sent and turned into an exponentially weighted moving average on a
 * timer tick, so a UI shows a steady number rather than one that jumps with every chunk.
 */

/** Time constant of the smoothing: about the last 3 s dominate. */
export const SPEED_TAU_MS = 3000;

/** An EWMA of a byte rate, fed with byte counts and updated on ticks. */
export class SpeedMeter {
  private pending = 0;
  private value = 0;

  /** Counts bytes sent since the last tick. */
  add(bytes: number): void {
    if (bytes > 0) this.pending += bytes;
  }

  /** Folds the bytes of the last `dtMs` into the average; returns the bytes of that interval. */
  tick(dtMs: number): number {
    if (dtMs <= 0) return 0;
    const bytes = this.pending;
    this.pending = 0;
    const instant = (bytes * 1000) / dtMs;
    const alpha = 1 - Math.exp(-dtMs / SPEED_TAU_MS);
    this.value += alpha * (instant - this.value);
    if (this.value < 1) this.value = 0;
    return bytes;
  }

  /** Bytes per second, smoothed. */
  get bytesPerSecond(): number {
    return Math.round(this.value);
  }

  reset(): void {
    this.pending = 0;
    this.value = 0;
  }
}

/** Seconds left for `remaining` bytes at `speed` bytes/s; undefined when unknown. */
export function etaSeconds(remaining: number, speed: number): number | undefined {
  if (speed <= 0 || remaining < 0) return undefined;
  return Math.ceil(remaining / speed);
}

/** A fixed-size ring of one-second throughput samples (the last 10 minutes by default). */
export class ThroughputHistory {
  private readonly samples: Array<{ at: number; bytesPerSecond: number }> = [];
  constructor(private readonly max = 600) {}

  push(at: number, bytesPerSecond: number): { at: number; bytesPerSecond: number } {
    const s = { at, bytesPerSecond: Math.round(bytesPerSecond) };
    this.samples.push(s);
    if (this.samples.length > this.max) this.samples.splice(0, this.samples.length - this.max);
    return s;
  }

  list(): Array<{ at: number; bytesPerSecond: number }> {
    return this.samples.slice();
  }
}
