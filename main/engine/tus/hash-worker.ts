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

/**
 * One worker thread per process that reads and hashes checksummed request bodies, shared by every upload (hashing is
 * ~1.8 GB/s, far above one upload's need). It is started on first use and does not keep the process alive while idle.
 */
export class HashWorker {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  /** Set when a worker cannot be started here: callers fall back to hashing on the main thread's WebCrypto. */
  private unavailable = false;

  /** Whether the worker can be used (false after a failed start). */
  get available(): boolean {
    return !this.unavailable;
  }

  /**
   * Reads `len` bytes at `position` of `fd` into `target` (from its start) and resolves to their base64 digest.
   * The caller keeps `fd` open and `target` untouched until this settles.
   */
  readAndHash(fd: number, position: number, len: number, algorithm: ChecksumAlgorithm, target: SharedArrayBuffer): Promise<string> {
    const worker = this.start();
    const id = this.nextId++;
    return new Promise<string>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.pending.size === 1) worker.ref();
      worker.postMessage({ id, fd, position, len, algorithm, buffer: target });
    });
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    worker.unref();
    worker.on('message', (m: { id: number; digest?: string; error?: { message: string; code?: string } }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (this.pending.size === 0) worker.unref();
      if (m.error) p.reject(new HashReadError(m.error.message, m.error.code));
      else p.resolve(m.digest ?? '');
    });
    const fail = (err: Error): void => {
      if (this.worker === worker) this.worker = undefined;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`The hashing worker stopped (exit code ${code}).`)));
    this.worker = worker;
    return worker;
  }

  /** Marks the worker unusable (a start failed); hashing falls back to the main thread. */
  disable(): void {
    this.unavailable = true;
  }

  /**
   * Stops the worker thread; calls still waiting reject. The next `readAndHash` starts a new one, so this is safe to
   * call at any time (an engine shutting down, a test).
   */
  async close(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    await worker.terminate();
  }
}

/** The process's hashing worker. */
export const hashWorker = new HashWorker();
