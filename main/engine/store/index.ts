/**
 * The durable queue store: an append-only journal of checksummed JSON lines plus a snapshot, in one state directory
 * guarded by a lock file. See docs/state.md for the design, the formats and the recovery rules.
 */
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import type { HistoryEntry, ServerProfile } from '../../../shared/types';
import { type SnapshotContent, type StoreIo, nodeIo, replaceJournal, replaceJournalWithTail, writeAll, writeSnapshot } from './compaction';
import { StoreIoError, describeIoError } from './errors';
import { JOURNAL_FILE } from './files';
import { acquireLock, type StateLock } from './lock';
import { loadState } from './load';
import { encodeLine, type JournalRecordType } from './records';
import { SCHEMA_VERSION } from './migrations';
import { MemoryState } from './state';
import type { BatchRecord, JobRecord, LoadedState, QueueStore, RecoveryReport } from './types';

export { StoreLockedError } from './types';
export type { BatchRecord, JobRecord, LoadedState, QueueStore, RecoveryReport } from './types';
export { StoreIoError } from './errors';
export type { StoreIoErrorCode } from './errors';
export type { StoreIo } from './compaction';
export { SCHEMA_VERSION, migrations } from './migrations';
export { HISTORY_LIMIT } from './state';
export { LOCK_FILE, readLock } from './lock';
export { JOURNAL_FILE, SNAPSHOT_FILE } from './files';

/** Options of `openStore`. */
export interface StoreOptions {
  /** Clock (epoch ms), for tests. */
  now?: () => number;
  /** Compact when the journal grows past this many bytes. Default: 4 × the snapshot, at least 4 MiB, at most 32 MiB (bounds the replay at open). */
  compactAfterBytes?: number;
  /** How long changes wait in memory before a group write. Default 50 ms. */
  flushIntervalMs?: number;
  /** Buffered bytes that trigger a group write before the interval ends. Default 256 KiB. */
  groupBytes?: number;
  /** The first retry delay after a failed write (doubles up to 30 s). Default 1000 ms. */
  retryDelayMs?: number;
  /** Replaces the filesystem writes (fault injection in tests). */
  io?: Partial<StoreIo>;
  /** Called when a background write or compaction fails (the queue keeps running; the store retries). */
  onWriteError?: (error: StoreIoError) => void;
  /** Called when writes succeed again after a failure. */
  onWriteRecovered?: () => void;
}

/** The store as returned by `openStore`: the contract plus a few read-only figures for diagnostics and benchmarks. */
export interface JournalStore extends QueueStore {
  /** Current journal size in bytes. */
  readonly journalBytes: number;
  /** Size of the last snapshot written or read, in bytes. */
  readonly snapshotBytes: number;
  /** Changes accepted but not yet written to the journal file. */
  readonly pendingRecords: number;
  /** The last write failure, while writes are failing. */
  readonly writeError: StoreIoError | undefined;
}

const MiB = 1024 * 1024;
const MAX_RETRY_MS = 30_000;

function jsonClone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/**
 * The store's own copy of a record as JSON would give it (undefined members dropped), sharing the strings: a
 * structural copy costs a fraction of a JSON round trip and no second copy of every path and name.
 */
function ownCopy<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((v: unknown) => (v === undefined ? null : ownCopy(v))) as T;
  const out: Record<string, unknown> = {};
  for (const key in value) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined && typeof v !== 'function') out[key] = ownCopy(v);
  }
  return out as T;
}

/** Deep copy of plain JSON data (what the state holds): several times faster than structuredClone. */
function cloneJson<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(cloneJson) as T;
  const out: Record<string, unknown> = {};
  for (const key in value) out[key] = cloneJson((value as Record<string, unknown>)[key]);
  return out as T;
}

function requireId(value: unknown, method: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new TypeError(`${method} needs a non-empty string id; got ${JSON.stringify(value)}. Nothing was saved.`);
  }
  return value;
}

/**
 * Opens (creating if needed) the state directory `dir`, takes its lock, reads the snapshot and replays the journal.
 * Throws `StoreLockedError` when another live process holds it, `StoreIoError` when it cannot be read or written.
 */
export async function openStore(dir: string, options: StoreOptions = {}): Promise<JournalStore> {
  const absDir = path.resolve(dir);
  const now = options.now ?? Date.now;
  try {
    await fsp.mkdir(absDir, { recursive: true });
  } catch (err) {
    throw describeIoError(err, absDir, 'create the state directory');
  }
  const lock = await acquireLock(absDir, now);
  try {
    return await JournalStoreImpl.open(absDir, lock, options);
  } catch (err) {
    await lock.release();
    if (err instanceof StoreIoError || (err instanceof Error && err.name === 'StoreLockedError')) throw err;
    throw describeIoError(err, absDir, 'read the saved queue');
  }
}

class JournalStoreImpl implements JournalStore {
  private loadedState: LoadedState | undefined;
  private readonly recovery: RecoveryReport;
  /** Set by `useLiveJobs`: the caller's records, written by compaction; the store then keeps only the ids. */
  private liveJobs: (() => Iterable<JobRecord>) | undefined;
  private readonly jobIds = new Set<string>();
  private readonly io: StoreIo;
  private readonly now: () => number;
  private readonly flushIntervalMs: number;
  private readonly groupBytes: number;
  private readonly retryDelayMs: number;
  private readonly journalPath: string;
  private handle: fsp.FileHandle;
  private seq: number;
  private buffer: string[] = [];
  private bufferBytes = 0;
  private lastWrittenSeq: number;
  private journalSize: number;
  private snapshotSize: number;
  /** A failed write left a partial line that could not be cut off: start the next write on a fresh line. */
  private needsNewline = false;
  private ioInFlight = false;
  private chain: Promise<void> = Promise.resolve();
  private pendingFlush: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryMs: number;
  private failure: StoreIoError | undefined;
  /**
   * While a compaction runs: the first sequence number it does not include, and once a group write has put that
   * record in the journal file, the byte offset where it starts. The new journal is the old one's bytes from there
   * (copied file to file at the swap), so the lines written meanwhile are never held in memory a second time.
   */
  private tail: { fromSeq: number; startOffset?: number } | undefined;
  private compaction: Promise<void> | undefined;
  private compactFailedAt = 0;
  private closed = false;
  /** Set by close(): no new changes are accepted while the last ones are flushed. */
  private closing = false;
  private closePromise: Promise<void> | undefined;
  private readonly exitHandler = (): void => this.writeOnExit();

  private constructor(
    readonly dir: string,
    private readonly lock: StateLock,
    private readonly state: MemoryState,
    handle: fsp.FileHandle,
    init: { seq: number; journalBytes: number; snapshotBytes: number; recovery: RecoveryReport },
    private readonly options: StoreOptions,
  ) {
    this.handle = handle;
    this.seq = init.seq;
    this.lastWrittenSeq = init.seq;
    this.journalSize = init.journalBytes;
    this.snapshotSize = init.snapshotBytes;
    this.recovery = init.recovery;
    this.io = { ...nodeIo, ...options.io };
    this.now = options.now ?? Date.now;
    this.flushIntervalMs = options.flushIntervalMs ?? 50;
    this.groupBytes = options.groupBytes ?? 256 * 1024;
    this.retryDelayMs = options.retryDelayMs ?? 1000;
    this.retryMs = this.retryDelayMs;
    this.journalPath = path.join(dir, JOURNAL_FILE);
    process.on('exit', this.exitHandler);
  }

  static async open(dir: string, lock: StateLock, options: StoreOptions): Promise<JournalStoreImpl> {
    const now = options.now ?? Date.now;
    const io: StoreIo = { ...nodeIo, ...options.io };
    const result = await loadState(dir, now);
    const { state } = result;
    const journalPath = path.join(dir, JOURNAL_FILE);
    let snapshotBytes = result.snapshotBytes;
    let journalBytes = result.journalBytes;
    if (result.rewrite) {
      snapshotBytes = await writeSnapshot(dir, snapshotOf(state, result.seq), io, now());
      await replaceJournal(dir, '', io);
      journalBytes = 0;
    } else if (result.truncateJournalTo !== undefined) {
      const h = await fsp.open(journalPath, 'r+');
      try {
        await h.truncate(result.truncateJournalTo);
        await h.sync();
      } finally {
        await h.close();
      }
      journalBytes = result.truncateJournalTo;
    }
    const handle = await fsp.open(journalPath, 'a');
    return new JournalStoreImpl(dir, lock, state, handle, { seq: result.seq, journalBytes, snapshotBytes, recovery: result.recovery }, options);
  }

  /** What was read at open. Built on first use: copies of the store's records, unless the jobs were handed over. */
  get loaded(): LoadedState {
    if (!this.loadedState) {
      const state = this.state;
      // The caller gets its own objects: the queue may mutate them without touching what the store will snapshot.
      this.loadedState = {
        jobs: this.liveJobs ? this.handedOverJobs : new Map(Array.from(state.jobs, ([id, job]) => [id, cloneJson(job)])),
        batches: new Map(Array.from(state.batches, ([id, b]) => [id, cloneJson(b)])),
        history: cloneJson(state.recentHistory()),
        profiles: new Map(Array.from(state.profiles, ([id, p]) => [id, cloneJson(p)])),
        recovery: this.recovery,
      };
      this.handedOverJobs = new Map();
    }
    return this.loadedState;
  }

  private handedOverJobs = new Map<string, JobRecord>();

  useLiveJobs(jobs: () => Iterable<JobRecord>): void {
    if (this.liveJobs) throw new Error('useLiveJobs was already called on this store; one owner of the live jobs at a time.');
    this.liveJobs = jobs;
    for (const id of this.state.jobs.keys()) this.jobIds.add(id);
    // Handed over rather than copied when `loaded` has not been read yet; either way the store keeps no job records.
    if (!this.loadedState) this.handedOverJobs = new Map(this.state.jobs);
    this.state.jobs.clear();
  }

  private hasJob(id: string): boolean {
    return this.liveJobs ? this.jobIds.has(id) : this.state.jobs.has(id);
  }

  get journalBytes(): number {
    return this.journalSize;
  }
  get snapshotBytes(): number {
    return this.snapshotSize;
  }
  get pendingRecords(): number {
    return this.buffer.length;
  }
  get writeError(): StoreIoError | undefined {
    return this.failure;
  }

  putJob(job: JobRecord): void {
    requireId(job?.id, 'putJob');
    // With live jobs the record is only encoded (at once), so no copy is needed.
    this.append('putJob', { d: this.liveJobs ? job : ownCopy(job) });
  }

  patchJob(id: string, patch: Partial<JobRecord>): void {
    requireId(id, 'patchJob');
    this.assertOpen();
    // A patch for a job that is gone (removed meanwhile) changes nothing, so it is not written.
    if (!this.hasJob(id)) return;
    const d: Record<string, unknown> = {};
    const unset: string[] = [];
    for (const [key, value] of Object.entries(patch)) {
      if (key === 'id') continue;
      // JSON drops undefined; an explicit `undefined` means "clear this field", so it is recorded by name.
      if (value === undefined) unset.push(key);
      else d[key] = typeof value === 'object' && value !== null && !this.liveJobs ? ownCopy(value) : value;
    }
    this.append('patchJob', unset.length > 0 ? { id, d, u: unset } : { id, d });
  }

  removeJobs(ids: string[]): void {
    if (ids.length === 0) return;
    ids.forEach((id) => requireId(id, 'removeJobs'));
    this.append('removeJobs', { ids: [...ids] });
  }

  putBatch(batch: BatchRecord): void {
    requireId(batch?.id, 'putBatch');
    this.append('putBatch', { d: ownCopy(batch) });
  }

  removeBatches(ids: string[]): void {
    if (ids.length === 0) return;
    ids.forEach((id) => requireId(id, 'removeBatches'));
    this.append('removeBatches', { ids: [...ids] });
  }

  appendHistory(entry: HistoryEntry): void {
    requireId(entry?.id, 'appendHistory');
    this.append('appendHistory', { d: ownCopy(entry) });
  }

  putProfile(profile: ServerProfile): void {
    requireId(profile?.id, 'putProfile');
    this.append('putProfile', { d: jsonClone(profile) });
  }

  removeProfile(id: string): void {
    requireId(id, 'removeProfile');
    this.append('removeProfile', { id });
  }

  flush(): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`The store for ${this.dir} is closed; nothing can be flushed.`));
    if (this.pendingFlush) return this.pendingFlush;
    this.clearTimer();
    const flush: Promise<void> = this.enqueue(async () => {
      // From here on a new flush() must queue behind this one: changes made now may miss this write.
      if (this.pendingFlush === flush) this.pendingFlush = undefined;
      await this.writePending();
      try {
        this.ioInFlight = true;
        await this.io.sync(this.handle);
      } catch (err) {
        throw this.noteFailure(describeIoError(err, this.dir, 'save the queue to disk (fsync of the journal)'));
      } finally {
        this.ioInFlight = false;
      }
    });
    this.pendingFlush = flush;
    return flush;
  }

  compact(): Promise<void> {
    if (this.closed || this.closing) return Promise.reject(new Error(`The store for ${this.dir} is closed; it cannot be compacted.`));
    if (!this.compaction) {
      this.compaction = this.runCompaction().finally(() => {
        this.compaction = undefined;
      });
    }
    return this.compaction;
  }

  close(): Promise<void> {
    this.closePromise ??= this.runClose();
    return this.closePromise;
  }

  private async runClose(): Promise<void> {
    this.closing = true;
    let error: unknown;
    try {
      if (this.compaction) await this.compaction.catch(() => undefined);
      await this.flush();
    } catch (err) {
      error = err;
    }
    this.closed = true;
    this.clearTimer();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    await this.chain;
    process.removeListener('exit', this.exitHandler);
    await this.handle.close().catch(() => undefined);
    await this.lock.release();
    if (error) {
      const unsaved = this.buffer.length;
      const base = error instanceof Error ? error.message : String(error);
      throw new StoreIoError(
        error instanceof StoreIoError ? error.code : 'state-io',
        this.dir,
        `Tusk could not save ${unsaved} recent queue change${unsaved === 1 ? '' : 's'} before closing: ${base}`,
        'Those changes are lost; the queue as last saved will be restored at the next start.',
        { cause: error },
      );
    }
  }

  private assertOpen(): void {
    if (this.closed || this.closing) throw new Error(`The store for ${this.dir} is closed; the change was not saved. Open the store again.`);
  }

  private append(t: JournalRecordType, fields: Record<string, unknown>): void {
    this.assertOpen();
    const seq = this.seq + 1;
    const record = { s: seq, t, ...fields };
    const line = encodeLine(record);
    if (this.liveJobs && (t === 'putJob' || t === 'patchJob' || t === 'removeJobs')) {
      // The caller holds the records; only which ids exist matters here.
      if (t === 'putJob') this.jobIds.add((fields.d as JobRecord).id);
      else if (t === 'removeJobs') for (const id of fields.ids as string[]) this.jobIds.delete(id);
    } else {
      // Same code path as replay at open, so the live view and a replay can never disagree.
      this.state.applyJournalRecord(record, SCHEMA_VERSION);
    }
    this.seq = seq;
    this.buffer.push(line);
    this.bufferBytes += line.length;
    this.scheduleWrite();
  }

  private scheduleWrite(): void {
    if (this.failure) return; // the retry timer drives writes while the disk is failing
    if (this.bufferBytes >= this.groupBytes) {
      this.clearTimer();
      this.bufferBytes = 0; // at most one early write per group
      this.enqueue(() => this.writePending()).catch(() => undefined);
      return;
    }
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.enqueue(() => this.writePending()).catch(() => undefined);
      }, this.flushIntervalMs);
      this.timer.unref();
    }
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Runs `op` after every earlier file operation: writes, fsyncs and the journal swap never overlap. */
  private enqueue<T>(op: () => Promise<T>): Promise<T> {
    const result = this.chain.then(op);
    this.chain = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  /** Writes the buffered lines as one group. On failure they go back to the front of the buffer. */
  private async writePending(): Promise<void> {
    if (this.buffer.length === 0) return;
    const lines = this.buffer;
    const upTo = this.seq;
    this.buffer = [];
    this.bufferBytes = 0;
    const data = Buffer.from((this.needsNewline ? '\n' : '') + lines.join(''), 'utf8');
    const goodSize = this.journalSize;
    // The buffer always holds the records lastWrittenSeq+1 … seq, in order.
    const firstSeq = this.lastWrittenSeq + 1;
    const tail = this.tail;
    let tailStart: number | undefined;
    if (tail && tail.startOffset === undefined && upTo >= tail.fromSeq) {
      tailStart = goodSize + (this.needsNewline ? 1 : 0);
      for (let i = 0; i < tail.fromSeq - firstSeq; i++) tailStart += Buffer.byteLength(lines[i], 'utf8');
    }
    this.ioInFlight = true;
    try {
      await writeAll(this.io, this.handle, data);
    } catch (err) {
      this.buffer = lines.concat(this.buffer);
      this.bufferBytes = this.buffer.reduce((n, l) => n + l.length, 0);
      try {
        // Cut off a partial line so the retry does not glue a record onto it.
        await this.handle.truncate(goodSize);
        this.needsNewline = false;
      } catch {
        this.needsNewline = true;
      }
      throw this.noteFailure(describeIoError(err, this.dir, 'save the queue to disk'));
    } finally {
      this.ioInFlight = false;
    }
    this.journalSize = goodSize + data.length;
    this.needsNewline = false;
    this.lastWrittenSeq = upTo;
    if (tail && tailStart !== undefined && this.tail === tail) tail.startOffset = tailStart;
    if (this.failure) {
      this.failure = undefined;
      this.retryMs = this.retryDelayMs;
      if (this.retryTimer) clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
      this.options.onWriteRecovered?.();
      if (this.buffer.length > 0) this.scheduleWrite();
    }
    this.maybeAutoCompact();
  }

  private noteFailure(error: StoreIoError): StoreIoError {
    const first = !this.failure;
    this.failure = error;
    if (first || !this.retryTimer) this.options.onWriteError?.(error);
    if (!this.retryTimer && !this.closed) {
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        if (this.closed) return;
        this.enqueue(async () => {
          if (this.buffer.length === 0 && this.failure) {
            // Nothing buffered (an fsync failed): try the fsync again to learn whether the disk is back.
            await this.io.sync(this.handle);
            this.failure = undefined;
            this.retryMs = this.retryDelayMs;
            this.options.onWriteRecovered?.();
            return;
          }
          await this.writePending();
        }).catch(() => undefined);
      }, this.retryMs);
      this.retryTimer.unref();
      this.retryMs = Math.min(MAX_RETRY_MS, this.retryMs * 2);
    }
    return error;
  }

  private compactThreshold(): number {
    return this.options.compactAfterBytes ?? Math.min(32 * MiB, Math.max(4 * MiB, 4 * this.snapshotSize));
  }

  private maybeAutoCompact(): void {
    if (this.compaction || this.closed || this.closing) return;
    const threshold = this.compactThreshold();
    // After a failed compaction wait for the journal to grow by half a threshold before trying again.
    if (this.journalSize > threshold && this.journalSize > this.compactFailedAt + threshold / 2) {
      this.compact().catch(() => undefined);
    }
  }

  private async runCompaction(): Promise<void> {
    const content = snapshotOf(this.state, this.seq, this.liveJobs);
    const tail: { fromSeq: number; startOffset?: number } = { fromSeq: this.seq + 1 };
    this.tail = tail;
    try {
      const size = await writeSnapshot(this.dir, content, this.io, this.now());
      this.snapshotSize = size;
      await this.enqueue(async () => {
        // Keep the changes newer than the snapshot that are already in the journal file (no write is in flight
        // here, so they are the file's bytes from the tail's start to its end); the ones still buffered are written
        // to the new journal by the next group write.
        const from = tail.startOffset ?? this.journalSize;
        const bytes = await replaceJournalWithTail(this.dir, from, this.journalSize, this.io);
        const old = this.handle;
        this.handle = await fsp.open(this.journalPath, 'a');
        await old.close().catch(() => undefined);
        this.journalSize = bytes;
        this.needsNewline = false;
      });
      this.compactFailedAt = 0;
    } catch (err) {
      this.compactFailedAt = this.journalSize;
      const error = err instanceof StoreIoError ? err : describeIoError(err, this.dir, 'compact the saved queue');
      this.options.onWriteError?.(error);
      throw error;
    } finally {
      this.tail = undefined;
    }
  }

  /** Best effort when the process exits without `close()`: write what is buffered, synchronously. */
  private writeOnExit(): void {
    if (this.closed || this.buffer.length === 0 || this.ioInFlight) return;
    try {
      const data = (this.needsNewline ? '\n' : '') + this.buffer.join('');
      fs.writeSync(this.handle.fd, data);
      this.buffer = [];
    } catch {
      // Nothing more can be done while exiting; the next start reports what is missing.
    }
  }
}

/**
 * What a compaction writes as of sequence number `seq`. Live job records (`useLiveJobs`) may run ahead of `seq` by
 * the time each is written: harmless, because the journal records after `seq` are replayed on top and each sets
 * fields to absolute values, in order. The history is then taken after the jobs (so a job written as completed has
 * its history entry), and a replayed history entry already present is skipped (by id).
 */
function snapshotOf(state: MemoryState, seq: number, liveJobs?: () => Iterable<JobRecord>): SnapshotContent {
  return {
    seq,
    jobs: Array.from(liveJobs ? liveJobs() : state.jobs.values()),
    batches: Array.from(state.batches.values()),
    profiles: Array.from(state.profiles.values()),
    history: liveJobs ? () => state.recentHistory() : state.recentHistory(),
  };
}
