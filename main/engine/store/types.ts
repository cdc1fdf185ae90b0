/**
 * The durable state of the queue: the contract between `main/engine/queue` and `main/engine/store`.
 * Everything needed to resume after a crash or reboot lives in one state directory.
 */
import type { AttemptLogEntry, BatchProblem, ChecksumAlgorithm, ErrorInfo, HistoryEntry, JobStatus, ServerProfile } from '../../../shared/types';

/** A job as persisted. The UI's JobView is derived from it plus live speed. */
export interface JobRecord {
  id: string;
  batchId?: string;
  profileId: string;
  path: string;
  name: string;
  relativePath?: string;
  /** Size and mtime when queued (or when the current upload was created): a change means the source changed. */
  size: number;
  mtimeMs: number;
  metadata: Record<string, string>;
  status: JobStatus;
  priority: number;
  order: number;
  uploadUrl?: string;
  /** Last offset the server acknowledged (a hint; the server's HEAD is the truth on resume). */
  offset: number;
  resultUrl?: string;
  checksum?: ChecksumAlgorithm;
  attempt: number;
  lastError?: ErrorInfo;
  nextAttemptAt?: number;
  notice?: string;
  sourceChanged?: boolean;
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  /** The most recent entries only (bounded, e.g. 50). */
  attemptLog: AttemptLogEntry[];
}

/** A dropped folder as persisted. */
export interface BatchRecord {
  id: string;
  profileId: string;
  name: string;
  rootPath: string;
  problems: BatchProblem[];
  createdAt: number;
  /**
   * Additive: set while the folder's jobs are being written, with the options it was read with. A batch still marked
   * at start was cut short (a crash during `addPaths`): the queue reads the folder again and queues what is missing.
   */
  scanning?: { ignorePatterns: string[]; followSymlinks: boolean };
}

/** What could not be read back, and where it went. Never silent: the queue surfaces `messages` to the person. */
export interface RecoveryReport {
  /** Records skipped because they were torn or corrupt. */
  droppedRecords: number;
  /** Files moved aside (e.g. `journal.corrupt-<time>`), kept for inspection. */
  movedAside: string[];
  messages: string[];
}

/** The state read at open. */
export interface LoadedState {
  jobs: Map<string, JobRecord>;
  batches: Map<string, BatchRecord>;
  history: HistoryEntry[];
  /** Profiles used by the CLI when there is no settings store (the desktop keeps profiles in electron-store). */
  profiles: Map<string, ServerProfile>;
  recovery: RecoveryReport;
}

/**
 * The durable store. Writes are cheap (O(1), appended to a journal and written in groups); `flush()` makes all
 * writes so far durable (fsync) and is awaited where durability matters: after an upload URL is created and before
 * its first byte is sent, and when a job completes.
 */
export interface QueueStore {
  readonly dir: string;
  /** The state as read at open. The store does not keep it up to date: the queue owns the live state. */
  readonly loaded: LoadedState;
  putJob(job: JobRecord): void;
  patchJob(id: string, patch: Partial<JobRecord>): void;
  removeJobs(ids: string[]): void;
  putBatch(batch: BatchRecord): void;
  removeBatches(ids: string[]): void;
  appendHistory(entry: HistoryEntry): void;
  putProfile(profile: ServerProfile): void;
  removeProfile(id: string): void;
  /**
   * Optional (additive): the caller keeps the live job records and lends them to the store, so the store need not
   * hold a copy of each (with 100,000 jobs, tens of MiB). Call it before reading `loaded`: the loaded jobs are then
   * handed over (not copied) and the store keeps only job ids. From then on a compaction writes the records `jobs()`
   * yields as they are when written. The caller's side of the deal: every change to a record is also given to
   * `putJob`/`patchJob`/`removeJobs` in the same synchronous turn (a record may run ahead of the journal, never
   * behind it), and records are plain JSON data.
   */
  useLiveJobs?(jobs: () => Iterable<JobRecord>): void;
  /** Durable (fsynced) once this resolves. */
  flush(): Promise<void>;
  /** Rewrites the journal as a snapshot of the live state; runs automatically when the journal grows. */
  compact(): Promise<void>;
  /** Flushes and releases the lock. */
  close(): Promise<void>;
}

/** Thrown by `openStore` when another live process holds the state directory. */
export class StoreLockedError extends Error {
  readonly code = 'state-locked';
  constructor(
    readonly dir: string,
    readonly pid: number,
    /** An extra sentence, e.g. how to clear a lock left by a process that cannot be checked. */
    detail?: string,
  ) {
    super(
      `The state directory ${dir} is in use by another Tusk process (pid ${pid}). ` +
        'Stop that process, or use a different --state-dir.' +
        (detail ? ` ${detail}` : ''),
    );
    this.name = 'StoreLockedError';
  }
}
