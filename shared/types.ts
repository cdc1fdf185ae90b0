/**
 * Types shared by main and renderer. Plain data only: no Node or DOM APIs, so both sides can import this file.
 * Byte counts are numbers (safe up to 8 PiB), times are epoch milliseconds, speeds are bytes per second.
 */

export type ChecksumAlgorithm = 'sha1' | 'sha256' | 'sha512' | 'md5';
/** A profile's checksum choice: `auto` picks the strongest algorithm the server advertises. */
export type ChecksumChoice = 'auto' | 'none' | ChecksumAlgorithm;

/**
 * The life of a job. `retrying` = waiting for the next attempt (see `nextAttemptAt`). `source-changed` is never stored:
 * a changed source restarts as a new upload, and `notice` says so.
 */
export type JobStatus = 'queued' | 'uploading' | 'paused' | 'retrying' | 'failed' | 'completed' | 'cancelled';

/** An error as a person sees it. */
export interface ErrorInfo {
  /** Machine-readable code (the engine's TusErrorCode or a queue code such as `source-missing`). */
  code: string;
  /** What happened. */
  message: string;
  /** What to do about it. */
  hint?: string;
  status?: number;
  /** Whether the queue will retry by itself. */
  retryable: boolean;
}

/** One entry of a job's attempt log (shown in the details panel). */
export interface AttemptLogEntry {
  at: number;
  attempt: number;
  /** What happened: `started`, `retry`, `failed`, `restarted`, `resumed`, `completed`, `paused`, `checksum-mismatch`… */
  kind: string;
  message: string;
  /** The wait before the next attempt, for retries. */
  delayMs?: number;
  offset?: number;
}

/** A job as the UI sees it (one row of the queue). */
export interface JobView {
  id: string;
  batchId?: string;
  profileId: string;
  /** Absolute path of the source file. */
  path: string;
  /** File name. */
  name: string;
  /** Path relative to the dropped folder, for batch members (`photos/2024/a.jpg`). */
  relativePath?: string;
  size: number;
  /** Bytes the server has acknowledged (or, while uploading, sent and in flight). */
  offset: number;
  status: JobStatus;
  /** Higher runs first; equal priorities run in `order`. */
  priority: number;
  order: number;
  /** Smoothed bytes/s while uploading, else 0. */
  speed: number;
  /** Seconds left at the current speed, when known. */
  etaSeconds?: number;
  /** 1-based number of the current or last attempt (0 before the first). */
  attempt: number;
  lastError?: ErrorInfo;
  /** When the next attempt starts, while `retrying`. */
  nextAttemptAt?: number;
  uploadUrl?: string;
  /** The final PATCH's `Location` (Plone: the created content). */
  resultUrl?: string;
  checksum?: ChecksumAlgorithm;
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  /** Something a person should know, e.g. "The file changed since the last run; it was uploaded again from the start." */
  notice?: string;
  /** True when the source changed since it was queued and the job restarted as a new upload. */
  sourceChanged?: boolean;
}

/** The details panel of one job. */
export interface JobDetails {
  job: JobView;
  attemptLog: AttemptLogEntry[];
  /** The server's offset as last asked with HEAD, when known. */
  serverOffset?: number;
  expiresAt?: number;
  endpoint: string;
}

/** An entry of a folder that could not be uploaded (unreadable, symlink loop…). */
export interface BatchProblem {
  path: string;
  reason: string;
}

/** A dropped folder. Its counters are derived from its jobs. */
export interface BatchView {
  id: string;
  profileId: string;
  /** The folder's name. */
  name: string;
  rootPath: string;
  jobCount: number;
  completedCount: number;
  failedCount: number;
  activeCount: number;
  size: number;
  offset: number;
  speed: number;
  etaSeconds?: number;
  status: JobStatus;
  problems: BatchProblem[];
  createdAt: number;
}

/** Totals over the whole queue (status bar). */
export interface QueueTotals {
  filesTotal: number;
  filesDone: number;
  filesFailed: number;
  filesActive: number;
  bytesTotal: number;
  bytesDone: number;
  speed: number;
  etaSeconds?: number;
}

/** One second of overall throughput (for the chart). */
export interface ThroughputSample {
  at: number;
  bytesPerSecond: number;
}

/** Everything the window shows, pulled once; then `QueueDelta`s are applied. */
export interface QueueSnapshot {
  jobs: JobView[];
  batches: BatchView[];
  totals: QueueTotals;
  /** Bytes per second; 0 = unlimited. */
  bandwidthLimit: number;
  /** The last 10 minutes, one sample per second. */
  throughput: ThroughputSample[];
  /** Sequence number of the last delta included; deltas with a lower or equal `seq` are stale. */
  seq: number;
}

/** A coalesced batch of changes (at most ~10 per second). Changed jobs and batches are sent whole. */
export interface QueueDelta {
  seq: number;
  jobs?: JobView[];
  removedJobIds?: string[];
  batches?: BatchView[];
  removedBatchIds?: string[];
  totals?: QueueTotals;
  throughput?: ThroughputSample[];
  bandwidthLimit?: number;
  /** The order of jobs changed (reorder/priority): the full id order. */
  order?: string[];
}

/** A header of a server profile. Secret values are encrypted at rest and never sent to the renderer. */
export interface HeaderEntry {
  name: string;
  /** Empty for secret headers when read by the renderer; `hasValue` says whether one is stored. */
  value: string;
  secret: boolean;
  hasValue?: boolean;
}

/** A target tus server and how to upload to it. */
export interface ServerProfile {
  id: string;
  name: string;
  endpoint: string;
  headers: HeaderEntry[];
  /** Bytes per PATCH; 0 = one request for the whole file. */
  chunkSize: number;
  checksum: ChecksumChoice;
  /** >1 uses concatenation (only when the server supports it). */
  parallelUploads: number;
  /** Verify TLS (default true). Turning it off shows a warning. */
  verifyTls: boolean;
  /** Path to an extra CA certificate (PEM). */
  caPath?: string;
  /**
   * Forward proxy URL, or false for none; absent: from the environment (HTTPS_PROXY, HTTP_PROXY, NO_PROXY). Set only by
   * the CLI (`--proxy`, kept in its profiles.json like secret headers); the desktop does not take it over IPC, so a
   * proxy login is never stored unencrypted there: the app uses the environment.
   */
  proxy?: string | false;
  /** Per-server concurrency limit. */
  maxConcurrent: number;
  /** Extra metadata sent with every upload. */
  metadata?: Record<string, string>;
  /** The embedded local test server. */
  builtIn?: boolean;
}

/** App settings (electron-store in the desktop app). */
export interface Settings {
  /** Uploads running at once across all servers. */
  concurrency: number;
  /** Bytes per second; 0 = unlimited. */
  bandwidthLimit: number;
  /** Register a login item that starts Tusk at login (and resumes uploads). */
  startAtLogin: boolean;
  /** Start in the tray without a window. */
  startHidden: boolean;
  notifications: boolean;
  /** Keep the computer awake while uploading. */
  keepAwake: boolean;
  /** Closing the window keeps uploads going in the tray. */
  closeToTray: boolean;
  theme: 'system' | 'light' | 'dark';
  defaultProfileId?: string;
  /** Glob-like patterns of names skipped in folders. */
  ignorePatterns: string[];
  followSymlinks: boolean;
}

/** What Tusk learned from a server's OPTIONS and what it will do with it. */
export interface ServerCapabilities {
  endpoint: string;
  /** The server answered at all. */
  reachable: boolean;
  /** The answer looked like tus. */
  isTus: boolean;
  version?: string;
  versions: string[];
  extensions: string[];
  maxSize?: number;
  checksumAlgorithms: string[];
  /** Whether the server advertised the expiration extension (actual expiry is per upload). */
  expiration: boolean;
  /** What Tusk will do with this server under the profile. */
  plan?: {
    chunkSize: number;
    checksum: ChecksumAlgorithm | 'none';
    parallelUploads: number;
    creationWithUpload: boolean;
    deferredLength: boolean;
    termination: boolean;
  };
  /** Why the server is unusable, in words a person can act on. */
  error?: ErrorInfo;
  checkedAt: number;
}

/** A finished upload. */
export interface HistoryEntry {
  id: string;
  jobId: string;
  path: string;
  name: string;
  relativePath?: string;
  profileId: string;
  endpoint: string;
  uploadUrl: string;
  resultUrl?: string;
  size: number;
  durationMs: number;
  averageSpeed: number;
  checksum?: ChecksumAlgorithm;
  finishedAt: number;
}

/** Which jobs an action applies to. */
export type Target = { kind: 'job'; id: string } | { kind: 'batch'; id: string } | { kind: 'all' };

/** What `addPaths` did. */
export interface AddResult {
  jobIds: string[];
  batchIds: string[];
  /** Paths that could not be added, with the reason. */
  rejected: BatchProblem[];
}
