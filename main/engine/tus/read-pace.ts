/**
 * Whether a streamed upload reads its file blocks synchronously on the event loop or through libuv's thread pool.
 *
 * Why synchronous at all: a whole-file PATCH on a fast link reads ≈2,000 blocks of 512 KiB per GiB. Through the thread
 * pool each read is a hand-off to another thread and back, and that thread competes for the cores with the sending
 * thread (and, on one machine, the server). Reading the block right before it is written, on the event loop, is what
 * curl does: whole-file uploads in bench:throughput went +8–16 % with 15–20 % less client CPU (medians of 12 ABBA pairs,
 * twice; docs/engine.md).
 * Why not always: a read from a slow disk (a cold HDD, a network share) would block the event loop, which in the app is
 * the main process. So reads start asynchronous, go synchronous only after several asynchronous reads in a row came
 * back at page-cache speed, and go back (for the rest of the upload) after one synchronous read that took too long.
 * While reading synchronously the stream also yields to the event loop every few milliseconds: when the kernel takes
 * every write at once, nothing else in the loop (timers, IPC, other uploads) would get a turn.
 */

/** An asynchronous read this fast counts toward going synchronous (512 KiB in 1 ms is 500 MB/s: the page cache). */
export const FAST_READ_MS = 1;
/** Consecutive fast asynchronous reads before reads go synchronous. */
export const FAST_READS_TO_SYNC = 4;
/** A synchronous read slower than this returns the upload to asynchronous reads for good. */
export const SLOW_SYNC_READ_MS = 4;
/** While reading synchronously, the longest the stream keeps the event loop before yielding. */
export const SYNC_YIELD_MS = 2;

/** The read mode of one file source, learned from how long its reads take. */
export class ReadPace {
  /** True while blocks are read synchronously. */
  sync = false;
  /** Set after a slow synchronous read: reads stay asynchronous for the rest of this source. */
  demoted = false;
  /** Synchronous reads done so far, and times the stream yielded to the event loop (for tests and diagnostics). */
  syncReads = 0;
  yields = 0;
  private fastStreak = 0;

  constructor(
    private readonly limits = { fastMs: FAST_READ_MS, fastReadsToSync: FAST_READS_TO_SYNC, slowSyncMs: SLOW_SYNC_READ_MS },
  ) {}

  /** Records an asynchronous read that took `ms`. */
  noteAsync(ms: number): void {
    this.fastStreak = ms < this.limits.fastMs ? this.fastStreak + 1 : 0;
    if (!this.demoted && this.fastStreak >= this.limits.fastReadsToSync) this.sync = true;
  }

  /** Records a synchronous read that took `ms`. */
  noteSync(ms: number): void {
    this.syncReads++;
    if (ms > this.limits.slowSyncMs) {
      this.sync = false;
      this.demoted = true;
    }
  }
}

/** Resolves on the event loop's next check phase, after pending I/O and (on the following iteration) timers. */
export function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
