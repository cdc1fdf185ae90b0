import { readFile } from 'node:fs';
import { Worker } from 'node:worker_threads';

/**
 * Reads small files (whole, up to a size limit) ahead of their upload, many per message to one worker thread.
 *
 * Why: for a folder of small files, the queue's client is bound by its main thread, and a third of that time went to
 * dispatching file operations to libuv's thread pool (open, fstat, read, close: four round trips per file, ≈55 µs of
 * main-thread time each file on this 2-core VM; bench:queue, 2,000 × 16 KiB). The queue knows which small files come
 * next, so it asks for them in batches (`prefetch`); the worker opens, reads and closes each one synchronously (cheap
 * off the event loop) and answers once per batch. Reads nobody asked ahead go through `fs.readFile` as before.
 *
 * A prefetched file is a snapshot of when it was read: entries live at most `PREFETCH_TTL_MS` (the queue asks only for
 * the next few dozen files, used within milliseconds), and the cache holds at most `PREFETCH_MAX_BYTES`.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { openSync, fstatSync, readSync, closeSync } = require('node:fs');
parentPort.on('message', (m) => {
  const results = [];
  const transfer = [];
  for (const path of m.paths) {
    let fd;
    try {
      fd = openSync(path, 'r');
      const st = fstatSync(fd);
      if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
      if (!st.isFile() || st.size > m.max) { results.push({ path, skipped: true }); continue; }
      const buf = new ArrayBuffer(st.size);
      const view = new Uint8Array(buf);
      let got = 0;
      while (got < st.size) {
        const n = readSync(fd, view, got, st.size - got, got);
        if (n === 0) break;
        got += n;
      }
      // Grown since the fstat: left to the normal path, which reads it at upload time.
      if (got < st.size || readSync(fd, new Uint8Array(1), 0, 1, got) !== 0) { results.push({ path, skipped: true }); continue; }
      results.push({ path, data: buf });
      transfer.push(buf);
    } catch (e) {
      results.push({ path, error: { message: String(e && e.message), code: e && e.code, syscall: e && e.syscall } });
    } finally {
      if (fd !== undefined) try { closeSync(fd); } catch {}
    }
  }
  parentPort.postMessage({ id: m.id, results }, transfer);
});
`;

/** How long a prefetched file is kept for its upload. */
export const PREFETCH_TTL_MS = 1000;
/** Bytes of prefetched files kept at most. */
export const PREFETCH_MAX_BYTES = 16 * 1024 * 1024;

type Outcome = { data: Buffer } | { error: NodeJS.ErrnoException } | { skipped: true };

interface Entry {
  /** Settles when the worker answered for this path. */
  ready: Promise<Outcome>;
  size: number;
  timer?: NodeJS.Timeout;
}

interface WorkerResult {
  path: string;
  data?: ArrayBuffer;
  skipped?: boolean;
  error?: { message: string; code?: string; syscall?: string };
}

/** The process's small-file reader (see the module comment). */
export class SmallFileReader {
  private worker: Worker | undefined;
  private unavailable = false;
  private readonly entries = new Map<string, Entry>();
  private readonly batches = new Map<number, (results: Map<string, WorkerResult>) => void>();
  private nextId = 1;
  private bytes = 0;
  /** Reads served from a prefetched copy (for tests and diagnostics). */
  hits = 0;

  /** Files asked ahead and not yet taken (in flight or ready). */
  get pendingCount(): number {
    return this.entries.size;
  }

  /** Whether `path` was asked ahead and not taken yet. */
  has(path: string): boolean {
    return this.entries.has(path);
  }

  /** Starts reading `paths` (files of at most `maxSize` bytes) in one batch; others are read at upload time. */
  prefetch(paths: string[], maxSize: number): void {
    const fresh = paths.filter((p) => !this.entries.has(p));
    if (fresh.length === 0 || this.bytes + fresh.length * maxSize > PREFETCH_MAX_BYTES || this.unavailable) return;
    let worker: Worker;
    try {
      worker = this.start();
    } catch {
      this.unavailable = true; // no worker threads here: every read goes through fs.readFile
      return;
    }
    const id = this.nextId++;
    const answered = new Promise<Map<string, WorkerResult>>((resolve) => this.batches.set(id, resolve));
    if (this.batches.size === 1) worker.ref();
    for (const path of fresh) {
      const entry: Entry = {
        size: maxSize, // reserved until the real size is known
        ready: answered.then((results) => outcomeOf(results.get(path))),
      };
      this.bytes += maxSize;
      void entry.ready.then((o) => {
        if (this.entries.get(path) !== entry) return;
        this.bytes -= entry.size;
        entry.size = 'data' in o ? o.data.length : 0;
        this.bytes += entry.size;
        entry.timer = setTimeout(() => this.drop(path, entry), PREFETCH_TTL_MS);
        entry.timer.unref();
      });
      this.entries.set(path, entry);
    }
    worker.postMessage({ id, paths: fresh, max: maxSize });
  }

  /**
   * The whole file at `path`: the prefetched copy when there is one (taken out of the cache), else read now. Rejects
   * with the fs error (code ENOENT, EACCES, EISDIR…) like `fs.readFile`.
   */
  async read(path: string): Promise<Buffer> {
    const entry = this.entries.get(path);
    if (entry) {
      const outcome = await entry.ready;
      this.drop(path, entry);
      if ('data' in outcome) {
        this.hits++;
        return outcome.data;
      }
      if ('error' in outcome) throw outcome.error;
    }
    return new Promise((resolve, reject) => readFile(path, (err, data) => (err ? reject(err) : resolve(data))));
  }

  /** Stops the worker; cached files are dropped, reads fall back to fs.readFile until the next prefetch. */
  async close(): Promise<void> {
    for (const [path, entry] of this.entries) this.drop(path, entry);
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
  }

  private drop(path: string, entry: Entry): void {
    if (this.entries.get(path) !== entry) return;
    clearTimeout(entry.timer);
    this.entries.delete(path);
    this.bytes -= entry.size;
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    worker.unref();
    worker.on('message', (m: { id: number; results: WorkerResult[] }) => {
      const done = this.batches.get(m.id);
      this.batches.delete(m.id);
      if (this.batches.size === 0) worker.unref();
      done?.(new Map(m.results.map((r) => [r.path, r])));
    });
    const fail = (): void => {
      if (this.worker === worker) this.worker = undefined;
      // Entries of unanswered batches read again at upload time.
      for (const done of this.batches.values()) done(new Map());
      this.batches.clear();
    };
    worker.on('error', fail);
    worker.on('exit', fail);
    this.worker = worker;
    return worker;
  }
}

function outcomeOf(r: WorkerResult | undefined): Outcome {
  if (!r || r.skipped) return { skipped: true };
  if (r.error) {
    const err = new Error(`${r.error.message}`) as NodeJS.ErrnoException;
    if (r.error.code) err.code = r.error.code;
    if (r.error.syscall) err.syscall = r.error.syscall;
    return { error: err };
  }
  return { data: Buffer.from(r.data ?? new ArrayBuffer(0)) };
}

/** The process's reader, shared by every client and queue. */
export const smallFileReader = new SmallFileReader();
