import type { QueueDelta } from '../../../shared/types';
import type { EngineNotification, EngineStatus } from '../engine-types';
import { DeltaChanges, type DeltaSource } from './views';

/** What the queue's events are built from: the delta views plus the status and how many jobs still wait. */
export interface EventSource extends DeltaSource {
  status(): EngineStatus;
  queuedCount(): number;
}

/**
 * What the upload queue tells its listeners: changes coalesced into one delta per interval (a UI gets one message per
 * 100 ms however many files moved), the shell's status after each delta, and notifications. Finished uploads and
 * failures are counted and told once, when the queue goes idle: a folder of 10,000 files is one notification, never
 * one per file.
 */
export class QueueEvents {
  /** Jobs, batches and order changed since the last delta; the queue marks them as it changes them. */
  readonly changes = new DeltaChanges();
  private timer: NodeJS.Timeout | undefined;
  /** When the last delta went out (performance.now); never yet → the first one goes out on the next turn. */
  private lastAt = -Infinity;
  private closed = false;
  private readonly deltaListeners = new Set<(d: QueueDelta) => void>();
  private readonly statusListeners = new Set<(s: EngineStatus) => void>();
  private readonly notificationListeners = new Set<(n: EngineNotification) => void>();
  private finished = { count: 0, bytes: 0 };
  private failures = { count: 0, firstReason: '' };
  private recoveryAnnounced = false;

  constructor(
    private readonly source: EventSource,
    private readonly intervalMs: number,
    /** State that could not be restored (corrupt journal…), told to the first notification listener. */
    private readonly recoveryMessages: readonly string[],
  ) {}

  /** Sends the pending changes within the interval (at most one delta per interval). */
  schedule(): void {
    if (this.timer || this.closed) return;
    const wait = Math.max(0, this.lastAt + this.intervalMs - performance.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.emit();
    }, wait);
    this.timer.unref();
  }

  /** Sends what is pending now and schedules nothing more (the queue is closing). */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.emit();
  }

  onDelta(listener: (d: QueueDelta) => void): () => void {
    this.deltaListeners.add(listener);
    return () => this.deltaListeners.delete(listener);
  }

  onStatus(listener: (s: EngineStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  onNotification(listener: (n: EngineNotification) => void): () => void {
    this.notificationListeners.add(listener);
    // State that could not be restored is told to the first listener (the shell subscribes right after creating
    // the engine), so it is never silent.
    if (this.recoveryMessages.length > 0 && !this.recoveryAnnounced) {
      this.recoveryAnnounced = true;
      const n: EngineNotification = {
        kind: 'failures',
        count: this.recoveryMessages.length,
        firstReason: `Some saved queue state could not be read: ${this.recoveryMessages[0]}`,
      };
      queueMicrotask(() => listener(n));
    }
    return () => this.notificationListeners.delete(listener);
  }

  /** Tells every notification listener now (a finished batch). */
  notify(n: EngineNotification): void {
    for (const l of this.notificationListeners) l(n);
  }

  /** Counts a completed upload for the next idle notification. */
  jobFinished(bytes: number): void {
    this.finished.count++;
    this.finished.bytes += bytes;
  }

  /** Counts a failed job for the next idle notification; the first failure's reason is the one told. */
  jobFailed(reason: string): void {
    if (this.failures.count === 0) this.failures.firstReason = reason;
    this.failures.count++;
  }

  /** Sends what changed since the last delta, as one message. */
  private emit(): void {
    this.lastAt = performance.now();
    if (this.deltaListeners.size === 0) {
      // Nobody listens (CLI, benchmarks): skip building views; a later subscriber starts from getSnapshot().
      this.changes.skip();
      this.afterDelta();
      return;
    }
    const { delta, backlog } = this.changes.take(this.source);
    for (const l of this.deltaListeners) l(delta);
    this.afterDelta();
    if (backlog && !this.timer && !this.closed) {
      // The rest follows on the next turn of the loop, not after a full interval: a big folder appears quickly.
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.emit();
      }, 0);
      this.timer.unref();
    }
  }

  private afterDelta(): void {
    const status = this.source.status();
    for (const l of this.statusListeners) l(status);
    if (status.active === 0 && this.source.queuedCount() === 0) {
      if (this.finished.count > 0) {
        this.notify({ kind: 'jobs-finished', count: this.finished.count, bytes: this.finished.bytes });
        this.finished = { count: 0, bytes: 0 };
      }
      if (this.failures.count > 0) {
        this.notify({ kind: 'failures', count: this.failures.count, firstReason: this.failures.firstReason });
        this.failures = { count: 0, firstReason: '' };
      }
    }
  }
}
