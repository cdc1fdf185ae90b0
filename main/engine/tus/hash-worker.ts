import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { ChecksumAlgorithm } from './types';

/**
 * The worker's code, inline (`eval`) so it survives bundling into the CLI and the Electron main process without a
 * second entry file. It reads a file range straight into shared memory a piece at a time and hashes each piece while
 * it is still in the CPU cache: no copy of the body anywhere (WebCrypto copies its input), and neither the read nor
 * the hash runs on the event loop. Plain CommonJS because eval workers are scripts.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { readSync } = require('node:fs');
const { createHash } = require('node:crypto');
const PIECE = 1024 * 1024;
parentPort.on('message', (m) => {
  try {
    const buf = Buffer.from(m.buffer, 0, m.len);
    const hash = createHash(m.algorithm);
    let done = 0;
    while (done < m.len) {
      const want = Math.min(PIECE, m.len - done);
      let got = 0;
      while (got < want) {
        const n = readSync(m.fd, buf, done + got, want - got, m.position + done + got);
        if (n === 0) throw Object.assign(new Error('the file ended early'), { code: 'ESHORT' });
        got += n;
      }
      hash.update(buf.subarray(done, done + want));
      done += want;
    }
    parentPort.postMessage({ id: m.id, digest: hash.digest('base64') });
  } catch (e) {
    parentPort.postMessage({ id: m.id, error: { message: String(e && e.message), code: e && e.code } });
  }
});
`;

/** A failed read in the worker, with the fs error code (ENOENT, EIO, ESHORT for a file that shrank). */
export class HashReadError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'HashReadError';
  }
}

interface Pending {
  resolve: (digest: string) => void;
  reject: (err: Error) => void;
}

/** One worker thread and the calls it has been given. */
interface Thread {
  worker: Worker;
  pending: Map<number, Pending>;
}

/**
 * Threads a process hashes on by default: one per core beyond the first, at most two (`TUSK_HASH_THREADS`, 1–8,
 * overrides it). SHA-256 of one body cannot be split, but the bodies of a checksummed upload are independent, so with
 * two threads the next two are read and hashed at once while the current one is sent, and parallel checksummed
 * uploads do not queue behind one thread (≈1.7 GB/s here). Why not two on two cores: there the event loop sending,
 * the second thread and (on loopback) the server compete for the same cores, and bench:throughput measured two
 * threads at 0.93–0.97× of one (docs/benchmarks.md); a core left free is what a second thread needs.
 */
export const HASH_THREADS = hashThreads(process.env.TUSK_HASH_THREADS, availableParallelism());

/** The thread count for an override (ignored unless a whole number 1–8) and the number of cores. */
export function hashThreads(override: string | undefined, cores: number): number {
  const n = Number(override);
  if (override && Number.isInteger(n) && n >= 1 && n <= 8) return n;
  return Math.max(1, Math.min(2, cores - 1));
}

/**
 * The worker threads that read and hash checksummed request bodies, shared by every upload in the process. A thread
 * is started when a call finds every running one busy (up to `limit`), and none keeps the process alive while idle.
 */
export class HashWorkers {
  private readonly threads: Thread[] = [];
  private nextId = 1;
  /** Set when a worker cannot be started here: callers fall back to hashing on the main thread's WebCrypto. */
  private unavailable = false;
  private maxThreads: number;

  constructor(limit = HASH_THREADS) {
    this.maxThreads = limit;
  }

  /**
   * Threads this pool runs at most; uploads read and hash one body more than that ahead. Settable (1–8) by an
   * embedding app or a test; running threads above a lowered limit finish their calls and are not given new ones.
   */
  get limit(): number {
    return this.maxThreads;
  }

  set limit(n: number) {
    if (!Number.isInteger(n) || n < 1 || n > 8) throw new RangeError(`The hashing thread limit must be a whole number from 1 to 8, got ${n}.`);
    this.maxThreads = n;
  }

  /** Whether the worker can be used (false after a failed start). */
  get available(): boolean {
    return !this.unavailable;
  }

  /** Worker threads running now (for tests and diagnostics). */
  get running(): number {
    return this.threads.length;
  }

  /**
   * Reads `len` bytes at `position` of `fd` into `target` (from its start) and resolves to their base64 digest.
   * The caller keeps `fd` open and `target` untouched until this settles.
   */
  readAndHash(fd: number, position: number, len: number, algorithm: ChecksumAlgorithm, target: SharedArrayBuffer): Promise<string> {
    const thread = this.pick();
    const id = this.nextId++;
    return new Promise<string>((resolve, reject) => {
      thread.pending.set(id, { resolve, reject });
      if (thread.pending.size === 1) thread.worker.ref();
      thread.worker.postMessage({ id, fd, position, len, algorithm, buffer: target });
    });
  }

  /** An idle thread, else a new one while fewer than `maxThreads` run, else the least busy. */
  private pick(): Thread {
    const usable = this.threads.slice(0, this.maxThreads);
    const idle = usable.find((t) => t.pending.size === 0);
    if (idle) return idle;
    if (usable.length < this.maxThreads) return this.start();
    return usable.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
  }

  private start(): Thread {
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    worker.unref();
    const thread: Thread = { worker, pending: new Map() };
    worker.on('message', (m: { id: number; digest?: string; error?: { message: string; code?: string } }) => {
      const p = thread.pending.get(m.id);
      if (!p) return;
      thread.pending.delete(m.id);
      if (thread.pending.size === 0) worker.unref();
      if (m.error) p.reject(new HashReadError(m.error.message, m.error.code));
      else p.resolve(m.digest ?? '');
    });
    const fail = (err: Error): void => {
      const i = this.threads.indexOf(thread);
      if (i >= 0) this.threads.splice(i, 1);
      for (const p of thread.pending.values()) p.reject(err);
      thread.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`The hashing worker stopped (exit code ${code}).`)));
    this.threads.push(thread);
    return thread;
  }

  /** Marks the worker unusable (a start failed); hashing falls back to the main thread. */
  disable(): void {
    this.unavailable = true;
  }

  /**
   * Stops the worker threads; calls still waiting reject. The next `readAndHash` starts a new one, so this is safe to
   * call at any time (an engine shutting down, a test).
   */
  async close(): Promise<void> {
    // Out of the pool at once, so a call made while they stop gets a new thread; their waiting calls reject on exit.
    const stopping = this.threads.splice(0);
    await Promise.all(stopping.map((t) => t.worker.terminate()));
  }
}

/** The process's hashing workers. */
export const hashWorkers = new HashWorkers();
