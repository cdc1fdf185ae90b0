/**
 * The pure parts of running one job through the TusClient: what an upload event means for the job, what a
 * completed upload records, and its history entry. The queue's `runJob` does the I/O and applies these through its
 * bookkeeping; keeping them here makes each rule readable (and testable) without a scheduler around it.
 */
import { randomUUID } from 'node:crypto';
import type { HistoryEntry } from '../../../shared/types';
import type { JobRecord } from '../store/types';
import type { UploadEvent, UploadResult } from '../tus/types';

/** What an upload event changes on its job: an attempt-log entry, and maybe the shown offset, server offset or notice. */
export interface UploadEventEffect {
  kind: string;
  message: string;
  offset?: number;
  delayMs?: number;
  /**
   * False: the entry rides in the job's next journal record instead of one of its own (`created` is followed at
   * once by the durable upload URL).
   */
  persist: boolean;
  /** The bytes the UI shows jump here (resume point, restart, corrected offset). */
  sent?: number;
  serverOffset?: number;
  notice?: string;
}

/** The effect of one TusClient event on its job. */
export function uploadEventEffect(event: UploadEvent): UploadEventEffect {
  switch (event.type) {
    case 'created':
      return { kind: 'created', message: `Created the upload ${event.url}.`, offset: 0, persist: false };
    case 'resumed':
      return { kind: 'resumed', message: `Resumed at byte ${event.offset}.`, offset: event.offset, persist: true, sent: event.offset, serverOffset: event.offset };
    case 'restarted':
      return {
        kind: 'restarted',
        message: `Started again: ${event.reason}`,
        offset: 0,
        persist: true,
        sent: 0,
        notice: `The earlier upload could not be continued (${event.reason}); it was uploaded again from the start.`,
      };
    case 'retry':
      return { kind: 'retry', message: event.error.message, delayMs: event.delayMs, persist: true };
    case 'offset-corrected':
      return { kind: 'offset-corrected', message: `The server had ${event.to} bytes, not ${event.from}; continuing from there.`, offset: event.to, persist: true, sent: event.to };
    case 'url-not-stored':
      // The queue keeps its URLs in its own store; only a client given a URL storage emits this.
      return { kind: 'url-not-stored', message: `The upload URL could not be stored: ${event.error.message}`, persist: true };
    case 'checksum-mismatch':
      return { kind: 'checksum-mismatch', message: `The server rejected a chunk at byte ${event.offset} (checksum mismatch); sending it again.`, offset: event.offset, persist: true };
  }
}

/**
 * The patch of a completed job and the size it uploaded. A small file sent in one request reports the size it read:
 * if the file changed size (still small) since it was queued, that is what gets recorded.
 */
export function completionPatch(rec: JobRecord, result: UploadResult, now: number, smallSize?: number): { patch: Partial<JobRecord>; size: number } {
  const patch: Partial<JobRecord> = { status: 'completed', finishedAt: now, offset: rec.size, uploadUrl: result.url, lastError: undefined, nextAttemptAt: undefined };
  if (smallSize !== undefined && smallSize !== rec.size) {
    patch.size = smallSize;
    patch.offset = smallSize;
  }
  if (result.resultUrl) patch.resultUrl = result.resultUrl;
  if (result.checksum) patch.checksum = result.checksum;
  return { patch, size: patch.size ?? rec.size };
}

/** The history entry of a completed job (its record already patched with the completion). */
export function historyEntryFor(rec: JobRecord, endpoint: string, result: UploadResult, now: number): HistoryEntry {
  const startedAt = rec.startedAt ?? now;
  const durationMs = Math.max(0, now - startedAt);
  const entry: HistoryEntry = {
    id: randomUUID(),
    jobId: rec.id,
    path: rec.path,
    name: rec.name,
    profileId: rec.profileId,
    endpoint,
    uploadUrl: result.url,
    size: rec.size,
    durationMs,
    averageSpeed: durationMs > 0 ? Math.round((rec.size * 1000) / durationMs) : rec.size,
    finishedAt: now,
  };
  if (rec.relativePath !== undefined) entry.relativePath = rec.relativePath;
  if (result.resultUrl) entry.resultUrl = result.resultUrl;
  if (result.checksum) entry.checksum = result.checksum;
  return entry;
}
