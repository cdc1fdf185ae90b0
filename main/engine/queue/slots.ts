/**
 * Concurrency slots and small jobs: which jobs go in one creation-with-upload request, what they count against
 * `Settings.concurrency` and `ServerProfile.maxConcurrent`, and the reason a duplicate job is refused.
 */
import type { JobStatus } from '../../../shared/types';
import type { JobRecord } from '../store/types';
import { SMALL_FILE_MAX } from '../tus/client';

/**
 * Concurrency is counted in slot units: an upload takes `SLOT_UNITS`, a small one (≤ `SMALL_FILE_MAX`, one request)
 * takes 1. So `Settings.concurrency` 8 runs 8 big uploads, or 32 small ones, or a mix; the same for a profile's
 * `maxConcurrent`. Small uploads are short and mostly waiting for the server, so they need more in flight.
 */
export const SLOT_UNITS = 4;

/** True for a job that fits in one creation-with-upload request. */
export function isSmallJob(rec: JobRecord): boolean {
  return rec.size > 0 && rec.size <= SMALL_FILE_MAX;
}

/** The reason given when a file already has an unfinished job (`AddResult.rejected`). */
export function alreadyQueued(status: JobStatus): string {
  const what = status === 'failed' ? 'retry' : status === 'paused' ? 'resume' : 'let it finish, or remove';
  return `Already in the queue (${status}): ${what} that job instead of adding the file again.`;
}

/** Slot units a job takes while it runs. */
export function slotUnits(rec: JobRecord): number {
  return isSmallJob(rec) ? 1 : SLOT_UNITS;
}
