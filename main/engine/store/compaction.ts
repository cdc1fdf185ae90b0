/**
 * Writing a snapshot: header, one line per record, end marker; written to a temp file in chunks (so the event loop
 * keeps running between chunks), fsynced, then renamed over the old one and the directory fsynced. And replacing the
 * journal the same way (emptied after a rewrite at open, or cut down to the changes newer than a snapshot).
 */
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import type { HistoryEntry, ServerProfile } from '../../../shared/types';
import { describeIoError } from './errors';
import { JOURNAL_FILE, SNAPSHOT_FILE, fsyncDir } from './files';
import { SCHEMA_VERSION } from './migrations';
import { encodeLine } from './records';
import type { BatchRecord, JobRecord } from './types';

/** The filesystem calls the store makes for writes; replaceable so tests can inject faults (a full disk). */
export interface StoreIo {
  /** Writes `data` at the end of the file; returns the bytes written (may be fewer than asked). */
  write(handle: fsp.FileHandle, data: Uint8Array): Promise<number>;
  /** Makes what was written durable. */
  sync(handle: fsp.FileHandle): Promise<void>;
}

/** The real filesystem. */
export const nodeIo: StoreIo = {
  async write(handle, data) {
    const { bytesWritten } = await handle.write(data, 0, data.length, null);
    return bytesWritten;
  },
  async sync(handle) {
    await handle.sync();
  },
};

/** Writes all of `data`, looping over short writes. */
export async function writeAll(io: StoreIo, handle: fsp.FileHandle, data: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    const n = await io.write(handle, data.subarray(offset));
    if (n <= 0) throw Object.assign(new Error('The write made no progress'), { code: 'EIO' });
    offset += n;
  }
}

/** A consistent view of the state to write (arrays of objects that are never mutated afterwards). */
export interface SnapshotContent {
  seq: number;
  jobs: JobRecord[];
  batches: BatchRecord[];
  profiles: ServerProfile[];
  /** A function when the history must be taken after the jobs are written (see `snapshotOf` in index.ts). */
  history: HistoryEntry[] | (() => HistoryEntry[]);
}

/** Lines per chunk: a chunk of jobs serializes in a few milliseconds, which bounds how long the event loop waits. */
const CHUNK_RECORDS = 250;

/**
 * Writes `content` as `<dir>/snapshot.jsonl` atomically. Returns its size in bytes. On failure the old snapshot is
 * untouched and the temp file removed.
 */
export async function writeSnapshot(dir: string, content: SnapshotContent, io: StoreIo, now: number): Promise<number> {
  const finalPath = path.join(dir, SNAPSHOT_FILE);
  const tmpPath = `${finalPath}.tmp`;
  const handle = await fsp.open(tmpPath, 'w');
  let size = 0;
  try {
    const historyNow = typeof content.history === 'function' ? undefined : content.history;
    const header = encodeLine({
      t: 'header',
      format: 'tusk-state',
      schemaVersion: SCHEMA_VERSION,
      seq: content.seq,
      createdAt: now,
      jobs: content.jobs.length,
      batches: content.batches.length,
      profiles: content.profiles.length,
      // When the history is taken after the jobs, this is its length when the snapshot started (the end line counts all).
      history: (historyNow ?? (content.history as () => HistoryEntry[])()).length,
    });
    const write = async (text: string): Promise<void> => {
      const bytes = Buffer.from(text, 'utf8');
      await writeAll(io, handle, bytes);
      size += bytes.length;
    };
    await write(header);
    const sections: Array<[string, readonly object[] | (() => readonly object[])]> = [
      ['profile', content.profiles],
      ['batch', content.batches],
      ['job', content.jobs],
      ['history', content.history],
    ];
    let total = 0;
    for (const [t, section] of sections) {
      const items = typeof section === 'function' ? section() : section;
      total += items.length;
      for (let i = 0; i < items.length; i += CHUNK_RECORDS) {
        let chunk = '';
        const end = Math.min(items.length, i + CHUNK_RECORDS);
        for (let j = i; j < end; j++) chunk += encodeLine({ t, d: items[j] });
        await write(chunk);
      }
    }
    await write(encodeLine({ t: 'end', seq: content.seq, records: total }));
    await io.sync(handle);
  } catch (err) {
    await handle.close().catch(() => undefined);
    await fsp.unlink(tmpPath).catch(() => undefined);
    throw err;
  }
  await handle.close();
  await fsp.rename(tmpPath, finalPath);
  await fsyncDir(dir);
  return size;
}

/** Replaces the journal atomically with `text` (temp file, fsync, rename, fsync the directory). */
export async function replaceJournal(dir: string, text: string, io: StoreIo): Promise<void> {
  await replaceJournalWith(dir, io, async (handle) => {
    if (text.length > 0) await writeAll(io, handle, Buffer.from(text, 'utf8'));
  });
}

/** Bytes copied per read when a compaction carries the journal's tail over. */
const COPY_CHUNK = 1024 * 1024;

/**
 * Replaces the journal atomically with the bytes `from` … `to` of the current one, copied in
 * chunks so a long tail is never in memory at once. Returns the new journal's size.
 */
export async function replaceJournalWithTail(dir: string, from: number, to: number, io: StoreIo): Promise<number> {
  const length = Math.max(0, to - from);
  await replaceJournalWith(dir, io, async (handle) => {
    const chunk = Buffer.allocUnsafe(Math.min(COPY_CHUNK, Math.max(1, length)));
    // The journal is open for appending: positional reads still work on it.
    const reader = await fsp.open(path.join(dir, JOURNAL_FILE), 'r');
    try {
      for (let at = from; at < to; ) {
        const { bytesRead } = await reader.read(chunk, 0, Math.min(chunk.length, to - at), at);
        if (bytesRead <= 0) throw Object.assign(new Error(`The journal ended at byte ${at}, before ${to}`), { code: 'EIO' });
        await writeAll(io, handle, chunk.subarray(0, bytesRead));
        at += bytesRead;
      }
    } finally {
      await reader.close().catch(() => undefined);
    }
  });
  return length;
}

async function replaceJournalWith(dir: string, io: StoreIo, fill: (handle: fsp.FileHandle) => Promise<void>): Promise<void> {
  const finalPath = path.join(dir, JOURNAL_FILE);
  const tmpPath = `${finalPath}.tmp`;
  const handle = await fsp.open(tmpPath, 'w');
  try {
    await fill(handle);
    await io.sync(handle);
  } catch (err) {
    await handle.close().catch(() => undefined);
    await fsp.unlink(tmpPath).catch(() => undefined);
    throw describeIoError(err, dir, 'compact the saved queue');
  } finally {
    await handle.close().catch(() => undefined);
  }
  await fsp.rename(tmpPath, finalPath);
  await fsyncDir(dir);
}
