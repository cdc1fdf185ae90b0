import { readSync } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { TusError } from './errors';
import { HashReadError, hashWorkers } from './hash-worker';
import { ReadPace, SYNC_YIELD_MS, yieldToLoop } from './read-pace';
import type { ChecksumAlgorithm, SourceDescriptor } from './types';

/**
 * Body slice handed to the socket while a rate limit is on (the Uploader cuts blocks into these): small enough for a
 * fair, smooth limit. Like a whole block it is at least the socket's high-water mark, so it is flushed to the kernel
 * (`drain`) before the next is pulled — which is what makes reusing a buffer safe.
 */
export const SLICE_SIZE = 64 * 1024;

/**
 * File reads for a streamed PATCH: two blocks, one being sent while the next is read (or, once reads prove fast,
 * each read right before it is sent: ReadPace). Handing the socket whole
 * 512 KiB blocks instead of 64 KiB slices cuts the per-slice work (generator hops, drain waits, progress) by 8×,
 * which is most of what separated a whole-file PATCH from curl.
 */
export const READ_BLOCK = 512 * 1024;

/** What an Uploader reads from: a file (positioned reads) or a stream (buffered one chunk at a time). */
export interface UploadSource {
  /** Total bytes; undefined while a deferred-length stream has not ended. */
  readonly size: number | undefined;
  /** True when the length is declared only at the end (stream of unknown length). */
  readonly deferred: boolean;
  readonly descriptor: SourceDescriptor;
  /**
   * Makes [start, start+max) available and says how many bytes there are (fewer only at the end). For a file it also
   * starts checking that the file did not change (size, mtime) since it was opened; the Uploader awaits `checked()`
   * before a request's last bytes, so the check overlaps the request instead of delaying it (a threadpool round trip
   * per request, measured at 0.3 ms of 1.7 ms per 1 MiB chunk under load) and a changed file never completes a chunk.
   */
  prepare(start: number, max: number): Promise<number>;
  /** Resolves when the check started by the last `prepare` passed; rejects with `source-changed` otherwise. */
  checked(): Promise<void>;
  /**
   * The bytes of [start, start+len) in one buffer owned by the source. A file source keeps one such buffer per `slot`
   * (a small index; the Uploader uses at most 2 + hashing threads) so the next bodies can be read and hashed while the
   * current one is sent; a buffer stays valid until the next `read` of the same slot. A stream source has one buffer
   * and ignores `slot`.
   */
  read(start: number, len: number, slot?: number): Promise<Uint8Array>;
  /**
   * Streams [start, start+len) in blocks of at most READ_BLOCK bytes; a block's memory is reused after the next pull.
   * While a file source reads through the thread pool it reads one block ahead (at a range's last block, the first
   * block of the following range), so back-to-back chunks never wait for the disk; once its reads prove fast it reads
   * each block synchronously right before it is sent (see ReadPace).
   */
  slices(start: number, len: number): AsyncGenerator<Uint8Array, void, void>;
  /**
   * Like `read` plus the body's digest, both done off the event loop (a worker thread reads into shared memory and
   * hashes as it reads). Resolves to undefined where no worker can run; then the caller reads and hashes itself.
   */
  readHashed?(start: number, len: number, slot: number, algorithm: ChecksumAlgorithm): Promise<{ data: Uint8Array; digest: string } | undefined>;
  /** Whether `read` may be called ahead for the next range while the current one is sent (random access). */
  readonly canReadAhead: boolean;
  close(): Promise<void>;
}

/** Opens a file for upload, turning fs errors into TusErrors that say what to do. */
export async function openFileSource(path: string, range?: { start: number; end: number }): Promise<FileSource> {
  let st;
  try {
    st = await stat(path);
  } catch (cause) {
    throw fileError(path, cause);
  }
  if (st.isDirectory())
    throw new TusError('invalid-argument', `${path} is a directory, not a file.`, {
      hint: 'Give a file path; to upload a folder, add it to the queue instead.',
    });
  if (!st.isFile())
    throw new TusError('source-unreadable', `${path} is not a regular file.`, { hint: 'Give the path of a regular file.' });
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (cause) {
    throw fileError(path, cause);
  }
  return new FileSource(path, fh, st.size, st.mtimeMs, range);
}

/** An fs failure on `path` as a TusError that says what to do (missing, no permission, a folder…). */
export function fileError(path: string, cause: unknown): TusError {
  const code = (cause as NodeJS.ErrnoException).code;
  if (code === 'ENOENT')
    return new TusError('source-missing', `File not found: ${path}.`, { cause, hint: 'Check the path; the file may have been moved or deleted.' });
  if (code === 'EACCES' || code === 'EPERM')
    return new TusError('source-unreadable', `No permission to read ${path}.`, { cause, hint: 'Check the file\'s permissions.' });
  if (code === 'EISDIR')
    return new TusError('invalid-argument', `${path} is a directory, not a file.`, { cause, hint: 'Give a file path.' });
  return new TusError('source-unreadable', `Cannot read ${path}: ${(cause as Error).message}.`, { cause, hint: 'Check the file and the disk.' });
}

/** A file read with positioned reads into buffers reused for the whole upload; never the whole file in memory. */
export class FileSource implements UploadSource {
  readonly deferred = false;
  readonly size: number;
  readonly descriptor: SourceDescriptor;
  private readonly base: number;
  readonly canReadAhead = true;
  private block: Buffer | undefined;
  /** Whole-body buffers by slot. */
  private readonly whole: (Buffer | undefined)[] = [];
  /** A read that may outlive an aborted request: waited for before the buffers are reused. */
  private inflight: Promise<void> = Promise.resolve();
  /** The first block of the range expected next, read while the previous range's last block was sent. */
  private ahead: { pos: number; len: number; half: number; done: Promise<void> } | undefined;
  private check: Promise<void> = Promise.resolve();
  /** Whether streamed blocks are read synchronously (see ReadPace); public for tests and diagnostics. */
  readonly pace: ReadPace;
  /** Body buffers the hashing worker reads into (shared memory, so nothing is copied between threads). */
  private readonly shared: (SharedArrayBuffer | undefined)[] = [];
  /** Worker reads in flight: the file must stay open (its descriptor number must not be reused) until they end. */
  private readonly workerReads = new Set<Promise<unknown>>();

  constructor(
    readonly path: string,
    private readonly fh: FileHandle,
    private readonly fileSize: number,
    private readonly mtimeMs: number,
    range?: { start: number; end: number },
    pace = new ReadPace(),
  ) {
    this.pace = pace;
    this.base = range?.start ?? 0;
    this.size = (range?.end ?? fileSize) - this.base;
    this.descriptor = { kind: 'file', path, size: fileSize, mtimeMs };
  }

  /** Starts the size/mtime check (see `checked`) and returns the bytes available. */
  async prepare(start: number, max: number): Promise<number> {
    const check = this.checkUnchanged();
    check.catch(() => undefined); // surfaced by checked() or the last slice
    this.check = check;
    return Math.max(0, Math.min(max, this.size - start));
  }

  checked(): Promise<void> {
    return this.check;
  }

  async read(start: number, len: number, slot = 0): Promise<Uint8Array> {
    await this.inflight;
    let buf = this.whole[slot];
    if (!buf || buf.length < len) buf = this.whole[slot] = Buffer.allocUnsafe(len);
    await this.track(this.readFully(buf, len, start));
    return buf.subarray(0, len);
  }

  async readHashed(start: number, len: number, slot: number, algorithm: ChecksumAlgorithm): Promise<{ data: Uint8Array; digest: string } | undefined> {
    if (!hashWorkers.available) return undefined;
    let sab = this.shared[slot];
    if (!sab || sab.byteLength < len) sab = this.shared[slot] = new SharedArrayBuffer(len);
    let job: Promise<string>;
    try {
      job = hashWorkers.readAndHash(this.fh.fd, this.base + start, len, algorithm, sab);
    } catch {
      hashWorkers.disable(); // no worker threads here (a restricted runtime): hash on the main thread instead
      return undefined;
    }
    this.workerReads.add(job);
    try {
      const digest = await job;
      return { data: new Uint8Array(sab, 0, len), digest };
    } catch (err) {
      if (err instanceof HashReadError && err.code === 'ESHORT') throw this.changed('it became shorter while being uploaded');
      if (err instanceof HashReadError) throw fileError(this.path, err);
      throw err;
    } finally {
      this.workerReads.delete(job);
    }
  }

  async *slices(start: number, len: number): AsyncGenerator<Uint8Array, void, void> {
    if (len <= 0) return;
    // Constant per source (so a read-ahead's half fits the next range), and no bigger than the file.
    const blockSize = Math.min(READ_BLOCK, this.size);
    if (!this.block) this.block = Buffer.allocUnsafe(blockSize * 2);
    const halves = [this.block.subarray(0, blockSize), this.block.subarray(blockSize, blockSize * 2)];
    const end = start + len;
    // The first block of this range, when the previous range read it ahead.
    let pending = this.ahead?.pos === start && this.ahead.len >= Math.min(blockSize, len) ? this.ahead : undefined;
    this.ahead = undefined;
    let cur = 0;
    let lastYield = performance.now();
    for (let pos = start; pos < end; ) {
      const n = Math.min(blockSize, end - pos);
      if (pending?.pos === pos) {
        await pending.done;
        cur = pending.half;
      } else {
        await this.inflight;
        if (this.pace.sync) this.readBlockSync(halves[cur]!, n, pos);
        else await this.track(this.readBlockTimed(halves[cur]!, n, pos));
      }
      pending = undefined;
      const next = pos + n;
      // Asynchronous reads go one block ahead into the other half while this one is on the wire: the rest of this
      // range, or, at its last block, the first block of the range a next request will most likely ask for.
      if (!this.pace.sync) {
        const aheadLen = Math.min(blockSize, (next < end ? end : this.size) - next);
        if (aheadLen > 0) {
          const read = { pos: next, len: aheadLen, half: 1 - cur, done: this.track(this.readBlockTimed(halves[1 - cur]!, aheadLen, next)) };
          if (next < end) pending = read;
          else this.ahead = read;
        }
      } else if (performance.now() - lastYield > SYNC_YIELD_MS) {
        // See ReadPace: with synchronous reads and a kernel that takes every write at once, the loop would never turn.
        await yieldToLoop();
        this.pace.yields++;
        lastYield = performance.now();
      }
      yield halves[cur]!.subarray(0, n);
      cur = 1 - cur;
      pos = next;
    }
  }

  /** An asynchronous block read, timed for the read pace. */
  private async readBlockTimed(buf: Buffer, len: number, start: number): Promise<void> {
    const t0 = performance.now();
    await this.readFully(buf, len, start);
    this.pace.noteAsync(performance.now() - t0);
  }

  /** A synchronous block read (see ReadPace), timed: a slow one returns the source to asynchronous reads. */
  private readBlockSync(buf: Buffer, len: number, start: number): void {
    const t0 = performance.now();
    let done = 0;
    while (done < len) {
      let n: number;
      try {
        n = readSync(this.fh.fd, buf, done, len - done, this.base + start + done);
      } catch (cause) {
        throw fileError(this.path, cause);
      }
      if (n === 0) throw this.changed('it became shorter while being uploaded');
      done += n;
    }
    this.pace.noteSync(performance.now() - t0);
  }

  private track(p: Promise<void>): Promise<void> {
    // Also marks `p` handled: a read-ahead nobody waits for (the next request starts elsewhere) is no unhandled rejection.
    this.inflight = p.catch(() => undefined);
    return p;
  }

  private async readFully(buf: Buffer, len: number, start: number): Promise<void> {
    let done = 0;
    while (done < len) {
      const { bytesRead } = await this.fh.read(buf, done, len - done, this.base + start + done);
      if (bytesRead === 0) throw this.changed('it became shorter while being uploaded');
      done += bytesRead;
    }
  }

  private async checkUnchanged(): Promise<void> {
    const st = await this.fh.stat();
    if (st.size !== this.fileSize) throw this.changed(`its size changed from ${this.fileSize} to ${st.size} bytes`);
    if (st.mtimeMs !== this.mtimeMs) throw this.changed('it was modified');
  }

  private changed(what: string): TusError {
    return new TusError('source-changed', `${this.path} changed during the upload: ${what}.`, {
      hint: 'Wait until the file is no longer being written, then upload it again.',
    });
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.inflight, ...this.workerReads]);
    await this.fh.close().catch(() => undefined);
  }
}

/**
 * A stream: one chunk is buffered until the server acknowledged it (so it can be resent); without a known size the
 * length is declared on the last PATCH (deferred length).
 */
export class StreamSource implements UploadSource {
  readonly deferred: boolean;
  readonly descriptor: SourceDescriptor = { kind: 'stream' };
  readonly canReadAhead = false;
  private buf: Buffer = Buffer.alloc(0);
  private bufStart = 0;
  private bufLen = 0;
  private ended = false;
  private readonly iterator: AsyncIterator<Buffer | string>;
  private knownSize: number | undefined;

  constructor(stream: Readable, size?: number) {
    this.knownSize = size;
    this.deferred = size === undefined;
    this.iterator = (stream as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
  }

  get size(): number | undefined {
    return this.knownSize;
  }

  async prepare(start: number, max: number): Promise<number> {
    if (start < this.bufStart)
      throw new TusError('conflict', `The server expects byte ${start} but the stream is at ${this.bufStart}–${this.bufStart + this.bufLen}.`, {
        hint: 'A stream cannot be rewound; upload it again from the beginning.',
      });
    // Resuming with a stream (seed: `resume_upload(file_stream=…)` seeks to the server's offset): a Node stream cannot
    // seek, so the bytes the server already has are read and dropped. The caller promises the same data again.
    if (start > this.bufStart + this.bufLen) await this.skipTo(start);
    const drop = start - this.bufStart;
    if (drop > 0) {
      this.buf.copyWithin(0, drop, this.bufLen);
      this.bufLen -= drop;
      this.bufStart = start;
    }
    if (this.buf.length < max) {
      const bigger = Buffer.allocUnsafe(max);
      this.buf.copy(bigger, 0, 0, this.bufLen);
      this.buf = bigger;
    }
    while (this.bufLen < max && !this.ended) {
      const part = await this.nextPiece();
      if (!part) break;
      if (this.bufLen + part.length > this.buf.length) {
        const bigger = Buffer.allocUnsafe(this.bufLen + part.length);
        this.buf.copy(bigger, 0, 0, this.bufLen);
        this.buf = bigger;
      }
      part.copy(this.buf, this.bufLen);
      this.bufLen += part.length;
    }
    if (this.ended) {
      const total = this.bufStart + this.bufLen;
      if (this.knownSize === undefined) this.knownSize = total;
      else if (total < this.knownSize)
        throw new TusError('source-changed', `The stream ended after ${total} bytes but ${this.knownSize} were announced.`, {
          hint: 'Give the right size, or none to upload with deferred length.',
        });
    }
    return Math.min(max, this.bufLen, this.knownSize !== undefined ? this.knownSize - start : Infinity);
  }

  /** The stream's next piece as a Buffer, or undefined once it has ended (`ended` is then set). */
  private async nextPiece(): Promise<Buffer | undefined> {
    if (this.ended) return undefined;
    const r = await this.iterator.next();
    if (r.done) {
      this.ended = true;
      return undefined;
    }
    return typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
  }

  /** Reads and drops the stream's bytes up to `start` (nothing buffered is needed any more). */
  private async skipTo(start: number): Promise<void> {
    this.bufStart += this.bufLen;
    this.bufLen = 0;
    while (this.bufStart < start) {
      const part = await this.nextPiece();
      if (!part)
        throw new TusError('source-changed', `The stream ended after ${this.bufStart} bytes, but the server already has ${start}.`, {
          hint: 'Resume with the same data the upload started with (from its first byte).',
        });
      const keep = this.bufStart + part.length - start;
      if (keep > 0) {
        // This piece crosses `start`: its tail is the first data to send.
        if (this.buf.length < keep) this.buf = Buffer.allocUnsafe(keep);
        part.copy(this.buf, 0, part.length - keep);
        this.bufLen = keep;
        this.bufStart = start;
      } else this.bufStart += part.length;
    }
  }

  async checked(): Promise<void> {
    /* a stream cannot change behind our back: what was read is what is sent */
  }

  async read(start: number, len: number): Promise<Uint8Array> {
    const from = start - this.bufStart;
    return this.buf.subarray(from, from + len);
  }

  async *slices(start: number, len: number): AsyncGenerator<Uint8Array, void, void> {
    const from = start - this.bufStart;
    for (let i = 0; i < len; i += READ_BLOCK) yield this.buf.subarray(from + i, from + Math.min(len, i + READ_BLOCK));
  }

  async close(): Promise<void> {
    await this.iterator.return?.();
  }
}
