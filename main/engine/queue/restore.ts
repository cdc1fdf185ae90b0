/**
 * Restoring the queue at start (and after `wake`): is each unfinished job's source file still the one queued, how far
 * did the server get with its upload, and which folder adds did a crash cut short. The functions here find things
 * out and say what they found; the queue decides what that changes, so every change still goes through its
 * bookkeeping (counters, journal, deltas) in one place.
 */
import { stat } from 'node:fs/promises';
import type { BatchProblem, ErrorInfo, JobStatus } from '../../../shared/types';
import type { BatchRecord, JobRecord } from '../store/types';
import type { UploadInfo } from '../tus/types';
import { scanFolderColumns, type ScanColumns } from './scan';
import { toErrorInfo } from './retry-policy';

/** Statuses of a job that still has work to do (what `restore` checks). */
export const UNFINISHED: ReadonlySet<JobStatus> = new Set(['queued', 'uploading', 'retrying', 'paused']);

/** What `inspectSource` found. */
export type SourceCheck =
  | { kind: 'same' }
  /** Size or modification time differ: the bytes on the server (if any) belong to another version of the file. */
  | { kind: 'changed'; size: number; mtimeMs: number }
  /** Missing or unreadable: the job cannot run until a person acts (never retried by itself). */
  | { kind: 'unusable'; error: ErrorInfo };

/** Compares the source file with what was queued (size and mtime, to the millisecond). */
export async function inspectSource(rec: Pick<JobRecord, 'path' | 'size' | 'mtimeMs'>): Promise<SourceCheck> {
  let st;
  try {
    st = await stat(rec.path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const error: ErrorInfo =
      code === 'ENOENT' || code === 'ENOTDIR'
        ? { code: 'source-missing', message: `The file ${rec.path} no longer exists.`, hint: 'Put the file back and retry, or remove the job.', retryable: false }
        : { code: 'source-unreadable', message: `The file ${rec.path} cannot be read (${code ?? String(err)}).`, hint: 'Check its permissions, then retry.', retryable: false };
    return { kind: 'unusable', error };
  }
  if (st.size !== rec.size || Math.abs(st.mtimeMs - rec.mtimeMs) >= 1) return { kind: 'changed', size: st.size, mtimeMs: st.mtimeMs };
  return { kind: 'same' };
}

/**
 * The patch for a job whose source changed: a new upload from the start, never on top of the old bytes. `started`
 * says whether anything had been sent (then the job tells the person why it starts over).
 */
export function sourceChangedPatch(rec: JobRecord, size: number, mtimeMs: number): { patch: Partial<JobRecord>; started: boolean } {
  const started = rec.uploadUrl !== undefined || rec.offset > 0 || rec.status === 'completed';
  const patch: Partial<JobRecord> = { size, mtimeMs, uploadUrl: undefined, offset: 0 };
  if (started) {
    patch.sourceChanged = true;
    patch.notice = 'The file changed since the last run; it was uploaded again from the start.';
  }
  return { patch, started };
}

/** What the server said about an upload URL (`askServerOffset`). */
export type ServerOffset =
  | { kind: 'offset'; offset: number; expiresAt?: number }
  /** 404/410: expired or removed; the job starts a new upload. */
  | { kind: 'gone' }
  /** Anything else (network down…): left to the job's own attempt, which retries visibly. */
  | { kind: 'unknown' };

/** HEAD of an upload. `getClient` is called inside, so a client that cannot be made counts as `unknown` too. */
export async function askServerOffset(getClient: () => Promise<{ getUploadInfo(url: string): Promise<UploadInfo> }>, url: string): Promise<ServerOffset> {
  try {
    const client = await getClient();
    const info = await client.getUploadInfo(url);
    return info.expires ? { kind: 'offset', offset: info.offset, expiresAt: info.expires.getTime() } : { kind: 'offset', offset: info.offset };
  } catch (err) {
    return toErrorInfo(err).code === 'not-found' ? { kind: 'gone' } : { kind: 'unknown' };
  }
}

/**
 * Runs `fn` over `items` with at most `limit` at a time (HEADs of 10,000 restored jobs must not open 10,000
 * requests), in order; stops taking new items once `stopped()` holds.
 */
export async function forEachBounded<T>(items: T[], limit: number, fn: (item: T) => Promise<void>, stopped: () => boolean): Promise<void> {
  let cursor = 0;
  const worker = async (): Promise<void> => {
    while (cursor < items.length) {
      const item = items[cursor++];
      if (stopped()) return;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** What the recovery messages say about a folder whose add a crash cut short (`queued` of its files were queued). */
export function interruptedAddMessage(batch: BatchRecord, queued: number): string {
  return (
    `The folder "${batch.name}" (${batch.rootPath}) was still being added when Tusk stopped (${queued} of its files were queued). ` +
    'Tusk reads it again when uploads continue and queues the files that are missing; none is queued twice.'
  );
}

/** The problem recorded on an interrupted batch whose profile is gone (its files are not read again). */
export const PROFILE_GONE_PROBLEM = 'Not read again after a restart: its server profile no longer exists.';

/** Reads an interrupted folder again with the options of its first add; a failure becomes a problem of the batch. */
export async function rescanInterruptedFolder(
  batch: BatchRecord,
  options: NonNullable<BatchRecord['scanning']>,
): Promise<{ scan: ScanColumns } | { problem: BatchProblem }> {
  try {
    return { scan: await scanFolderColumns(batch.rootPath, options) };
  } catch (err) {
    return { problem: { path: batch.rootPath, reason: `Could not be read again after a restart: ${(err as Error).message}` } };
  }
}
