/**
 * Turning dropped files and folders into jobs and batches in the `JobBook` (the queue's `addPaths`), and adding the
 * files a folder add cut short by a crash did not get to. Nothing here starts an upload: the queue schedules after.
 */
import { randomUUID } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { AddResult, BatchProblem, ServerProfile } from '../../../shared/types';
import type { BatchRecord } from '../store/types';
import type { JobBook } from './job-book';
import { DEFAULT_IGNORE_PATTERNS, scanFolderColumns, type ScanColumns } from './scan';
import { alreadyQueued } from './slots';

/** Options of `addPaths`. */
export interface AddOptions {
  profile: ServerProfile;
  ignorePatterns?: string[];
  followSymlinks?: boolean;
}

/** Files written between two turns of the event loop while a big folder is added (the store writes its groups meanwhile). */
const JOBS_PER_TURN = 2000;

const yieldTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

/**
 * Adds a job per file and a batch per folder (a job per file in it). Unusable paths (missing, unreadable, not a
 * regular file or folder, an empty folder) and files that already have an unfinished job on the profile are returned
 * in `rejected` with the reason, never queued twice.
 */
export async function addPathsToBook(book: JobBook, paths: string[], opts: AddOptions, now: () => number): Promise<AddResult> {
  const result: AddResult = { jobIds: [], batchIds: [], rejected: [] };
  const profile = opts.profile;
  const scanOptions = { ignorePatterns: opts.ignorePatterns ?? DEFAULT_IGNORE_PATTERNS, followSymlinks: opts.followSymlinks ?? false };
  const existing = book.unfinishedPaths(profile.id);
  const duplicate = (path: string): BatchProblem | undefined => {
    const status = existing.get(path);
    return status === undefined ? undefined : { path, reason: alreadyQueued(status) };
  };
  for (let index = 0; index < paths.length; index++) {
    const path = paths[index];
    let st;
    try {
      st = await stat(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      result.rejected.push({
        path,
        reason: code === 'ENOENT' ? 'No such file or folder.' : code === 'EACCES' ? 'Permission denied.' : String(err),
      });
      continue;
    }
    const at = now();
    if (st.isFile()) {
      const dup = duplicate(path);
      if (dup) {
        result.rejected.push(dup);
        continue;
      }
      const rec = book.newJob(path, basename(path), undefined, undefined, st.size, st.mtimeMs, profile, at);
      existing.set(path, rec.status);
      result.jobIds.push(rec.id);
    } else if (st.isDirectory()) {
      const scan = await scanFolderColumns(path, scanOptions);
      // The batch is written only after the scan: a crash before this point leaves nothing behind.
      const found = scan.paths.length;
      if (found === 0 && scan.problems.length === 0) {
        result.rejected.push({ path, reason: 'The folder has no files to upload (it is empty or every file is ignored).' });
        continue;
      }
      // A file with an unfinished job (e.g. the same folder added again after a crash) is not queued twice.
      let fresh = found;
      if (existing.size > 0) {
        fresh = 0;
        for (const p of scan.paths) if (!existing.has(p)) fresh++;
      }
      if (fresh === 0 && found > 0) {
        result.rejected.push({
          path,
          reason: `Already in the queue: every file of this folder already has an unfinished job (${found}). Resume or retry those jobs instead of adding the folder again.`,
        });
        continue;
      }
      if (fresh < found) for (const p of scan.paths) if (existing.has(p)) result.rejected.push(duplicate(p)!);
      // Only a later path of this call can name these files again; the last one need not remember them.
      const remember = index < paths.length - 1;
      // Marked until its last job is written: a crash in between leaves a batch a restart recognizes and completes.
      const batch: BatchRecord = {
        id: randomUUID(),
        profileId: profile.id,
        name: basename(path),
        rootPath: path,
        problems: scan.problems,
        createdAt: at,
        scanning: scanOptions,
      };
      book.addBatch(batch);
      result.batchIds.push(batch.id);
      for (let i = 0, made = 0; i < found; i++) {
        const p = scan.paths[i];
        if (fresh < found && existing.has(p)) continue;
        const rec = book.newJob(p, basename(p), batch.id, scan.relativePaths[i], scan.sizes[i], scan.mtimes[i], profile, at);
        if (remember) existing.set(p, rec.status);
        result.jobIds.push(rec.id);
        // Let the store write its groups as we go, so a 100,000-file folder never sits in memory twice.
        if (++made % JOBS_PER_TURN === 0) await yieldTurn();
      }
      book.batchComplete(batch);
    } else {
      result.rejected.push({ path, reason: 'Not a regular file or folder (device, socket or pipe).' });
    }
  }
  return result;
}

/**
 * Queues the files of a folder scanned again after a crash cut its add short: those neither in its batch yet nor with
 * an unfinished job elsewhere on the profile. Stops early when the batch is removed meanwhile.
 */
export async function addMissingFolderFiles(book: JobBook, batch: BatchRecord, profile: ServerProfile, scan: ScanColumns, now: () => number): Promise<void> {
  batch.problems = scan.problems;
  const inBatch = new Set<string>();
  for (const live of book.jobs.values()) if (live.rec.batchId === batch.id) inBatch.add(live.rec.path);
  const existing = book.unfinishedPaths(profile.id);
  const at = now();
  for (let i = 0, made = 0; i < scan.paths.length; i++) {
    const p = scan.paths[i];
    if (inBatch.has(p) || existing.has(p)) continue;
    book.newJob(p, basename(p), batch.id, scan.relativePaths[i], scan.sizes[i], scan.mtimes[i], profile, at);
    if (++made % JOBS_PER_TURN === 0) {
      await yieldTurn();
      if (!book.batches.has(batch.id)) return; // removed meanwhile
    }
  }
}
