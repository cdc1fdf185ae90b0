/**
 * The upload queue: jobs and batches, a scheduler with a global and a per-server concurrency limit, priorities and
 * order, pause/resume/cancel, visible job-level retries and speeds. The jobs themselves and every change of them are
 * kept by the `JobBook` (job-book.ts); what listeners hear (coalesced deltas, notifications) by `QueueEvents`
 * (events.ts).
 *
 * Durability: every change goes to the `QueueStore` (O(1) journal appends); an upload URL is flushed to disk before
 * its first byte is sent (`onUploadUrl`), and completion is flushed too, so a `kill -9` at any moment loses nothing.
 * The TusClient runs with `maxRetries: 0`: each failed attempt comes back here, where a person can see the attempt
 * number, the error and the countdown to the next attempt.
 */
import type {
  AddResult,
  HistoryEntry,
  JobDetails,
  JobView,
  QueueDelta,
  QueueSnapshot,
  QueueTotals,
  ServerProfile,
  Target,
} from '../../../shared/types';
import type { QueueStore } from '../store/types';
import type {
  ServerInfo,
  TusClientOptions,
  UploadEvent,
  UploadFileOptions,
  UploadInfo,
  UploadResult,
} from '../tus/types';
import type { EngineNotification, EngineStatus } from '../engine-types';
import { TokenBucketLimiter } from './limiter';
import { SpeedMeter, ThroughputHistory } from './speed';
import {
  PROFILE_GONE_PROBLEM,
  UNFINISHED,
  askServerOffset,
  forEachBounded,
  inspectSource,
  rescanInterruptedFolder,
  sourceChangedPatch,
} from './restore';
import { isSmallJob, slotUnits, SLOT_UNITS } from './slots';
import { smallFileReader } from '../tus/small-files';
import { SMALL_FILE_MAX } from '../tus/client';
import { retryDelay, serverRetryAfter, toErrorInfo } from './retry-policy';
import { completionPatch, historyEntryFor, uploadEventEffect } from './job-runner';
import { ProfileClients } from './profile-clients';
import { clearRetryTimer, type LiveJob } from './live-job';
import { jobView, totalsView, type DeltaChanges } from './views';
import { QueueEvents } from './events';
import { JobBook } from './job-book';
import { addMissingFolderFiles, addPathsToBook, type AddOptions } from './adding';

/** The part of `TusClient` the queue uses (so tests and benchmarks can hand in the real one or a wrapper). */
export interface QueueTusClient {
  uploadFile(options: UploadFileOptions): Promise<UploadResult>;
  /** One-request upload of a small file; undefined (nothing sent) when it does not apply. Optional for test doubles. */
  uploadSmallFile?(options: UploadFileOptions & { path: string }): Promise<UploadResult | undefined>;
  getServerInfo(): Promise<ServerInfo>;
  /** The server info already known (no request); optional for test doubles. */
  knownServerInfo?(): ServerInfo | undefined;
  getUploadInfo(url: string): Promise<UploadInfo>;
  deleteUpload(url: string): Promise<void>;
  /** Releases idle keep-alive sockets. */
  close?(): Promise<void> | void;
}

/** Builds a client for a profile's options. */
export type TusClientFactory = (options: TusClientOptions) => QueueTusClient;

/** Tuning knobs of the queue (defaults suit the desktop; tests shorten the retry delays). */
export interface QueueTuning {
  /** First retry delay (ms, default 1000); doubles per consecutive failure. */
  retryBaseDelayMs?: number;
  /** Cap of the retry delay (ms, default 60 000). */
  retryMaxDelayMs?: number;
  /** Delta coalescing interval (ms, default 100 → at most 10 deltas a second). */
  deltaIntervalMs?: number;
  /** Parallel HEAD requests when restoring (default 8). */
  restoreConcurrency?: number;
}

/** What the queue needs to run. */
export interface QueueOptions extends QueueTuning {
  store: QueueStore;
  clientFactory: TusClientFactory;
  getProfile: (id: string) => Promise<ServerProfile | undefined>;
  resolveHeaders: (id: string) => Promise<Record<string, string>>;
  concurrency: number;
  bandwidthLimit: number;
  now?: () => number;
  /** Start uploading restored and new jobs (default true); false holds the scheduler until `start()`. */
  autoStart?: boolean;
}

export type { AddOptions } from './adding';

/** New small files read ahead in one batch (see prefetchSmallFiles); a new batch when half are used. */
const PREFETCH_AHEAD = 64;

export { retryDelay, toErrorInfo } from './retry-policy';

/** What `UploadQueue.cancel` did about one job's upload on the server. */
export interface CancelOutcome {
  jobId: string;
  /** True when the job completed before the cancel took effect (nothing was cancelled). */
  completed?: boolean;
  /** The server upload the job had; absent when none had been created. */
  uploadUrl?: string;
  /** With `uploadUrl`: whether the server removed it (or no longer had it). */
  removed?: boolean;
  /** With `removed: false`: why it could not be removed (the job's `notice` says the same). */
  reason?: string;
  /** With `removed: false`: the error code (e.g. `network`, `unsupported`, `http`), for scripts. */
  code?: string;
}

/** The queue. One per engine. */
export class UploadQueue {
  readonly limiter: TokenBucketLimiter;
  private readonly store: QueueStore;
  private readonly now: () => number;
  /** The jobs, batches and history, and every change of them (see job-book.ts). */
  private readonly book: JobBook;
  private readonly running = new Set<string>();
  /** Slot units in use per profile and overall: a job takes `SLOT_UNITS`, a small one 1 (see `slotUnits`). */
  private readonly runningPerProfile = new Map<string, number>();
  private runningUnits = 0;
  private readonly profiles: ProfileClients;
  private concurrency: number;
  private pending: string[] = [];
  private pendingHead = 0;
  /** Profiles of the jobs in `pending` (rebuilt with it). */
  private pendingProfiles = new Set<string>();
  private pendingDirty = true;
  private held: boolean;
  private suspended = false;
  private closed = false;
  private pumping = false;
  private closing = false;
  /** Deltas, status and notifications for listeners (a UI, the shell); `changes` is what the next delta carries. */
  private readonly events: QueueEvents;
  private readonly changes: DeltaChanges;
  // Speeds.
  private readonly overall = new SpeedMeter();
  private readonly throughput = new ThroughputHistory(600);
  private readonly ticker: NodeJS.Timeout;
  private lastTick: number;
  private secondBytes = 0;
  private secondStart: number;
  private readonly retryBase: number;
  private readonly retryMax: number;
  private readonly restoreConcurrency: number;
  /** Messages about state that could not be restored (corrupt journal…), for the UI and the CLI. */
  readonly recoveryMessages: string[] = [];

  constructor(private readonly options: QueueOptions) {
    this.store = options.store;
    this.now = options.now ?? Date.now;
    this.concurrency = Math.max(1, options.concurrency);
    this.limiter = new TokenBucketLimiter(options.bandwidthLimit);
    this.profiles = new ProfileClients({ ...options, rateLimiter: this.limiter });
    this.held = options.autoStart === false;
    this.retryBase = options.retryBaseDelayMs ?? 1000;
    this.retryMax = options.retryMaxDelayMs ?? 60_000;
    this.restoreConcurrency = options.restoreConcurrency ?? 8;
    this.events = new QueueEvents(
      {
        totals: () => this.totals(),
        jobView: (id: string) => {
          const l = this.book.jobs.get(id);
          return l ? jobView(l) : undefined;
        },
        batchView: (id: string) => {
          const b = this.book.batches.get(id);
          return b ? this.book.batchView(b) : undefined;
        },
        order: () => this.book.sortedIds(),
        bandwidthLimit: () => this.limiter.bytesPerSecond,
        status: () => this.status(),
        queuedCount: () => this.book.total.queued,
      },
      options.deltaIntervalMs ?? 100,
      this.recoveryMessages,
    );
    this.changes = this.events.changes;
    this.book = new JobBook(this.store, this.events, this.now, (id) => this.batchSpeed(id), this.recoveryMessages);
    this.lastTick = performance.now();
    this.secondStart = this.lastTick;
    this.ticker = setInterval(() => this.tick(), 250);
    this.ticker.unref();
  }

  // ------------------------------------------------------------------------------------------------------------
  // Lifecycle
  // ------------------------------------------------------------------------------------------------------------

  /** Checks restored jobs (source files, server offsets) and starts the scheduler unless held. */
  async restore(): Promise<void> {
    const unfinished = [...this.book.jobs.values()].filter((l) => UNFINISHED.has(l.rec.status));
    this.pump();
    const adds = this.finishInterruptedAdds();
    await forEachBounded(
      unfinished,
      this.restoreConcurrency,
      async (live) => {
        if (this.running.has(live.rec.id) || !UNFINISHED.has(live.rec.status)) return;
        const ok = await this.checkSource(live);
        if (!ok || !live.rec.uploadUrl || this.running.has(live.rec.id)) return;
        await this.refreshOffset(live);
      },
      () => this.closed,
    );
    await adds;
  }

  /** Reads again each folder whose add was cut short and queues the files its batch is missing. */
  private async finishInterruptedAdds(): Promise<void> {
    while (this.book.interruptedAdds.length > 0 && !this.closed && !this.closing) {
      const batch = this.book.batches.get(this.book.interruptedAdds.shift()!);
      const opts = batch?.scanning;
      if (!batch || !opts) continue;
      const profile = await this.profiles.profile(batch.profileId).catch(() => undefined);
      const read = await rescanInterruptedFolder(batch, opts);
      const scan = 'scan' in read ? read.scan : undefined;
      if ('problem' in read) batch.problems = [...batch.problems, read.problem];
      if (!this.book.batches.has(batch.id) || this.closed || this.closing) continue;
      if (!profile) batch.problems = [...batch.problems, { path: batch.rootPath, reason: PROFILE_GONE_PROBLEM }];
      if (scan && profile) await addMissingFolderFiles(this.book, batch, profile, scan, this.now);
      if (!this.book.batches.has(batch.id)) continue;
      this.book.batchComplete(batch);
      this.pendingDirty = true;
      this.changes.orderChanged = true;
      this.events.schedule();
      this.pump();
    }
  }

  /** Releases a scheduler held by `autoStart: false`. */
  start(): void {
    this.held = false;
    this.pump();
  }

  /** Stops running uploads (they stay resumable) and stops the timers. The store is closed by the engine. */
  async close(): Promise<void> {
    if (this.closed || this.closing) return;
    // Set first: a stopped job's cleanup calls pump(), which must not start anything now.
    this.closing = true;
    await this.stopRunning('close');
    this.closed = true;
    clearInterval(this.ticker);
    for (const live of this.book.jobs.values()) if (live.timer) clearTimeout(live.timer);
    this.events.close();
    await this.profiles.close();
    await this.store.flush();
  }

  /** Pauses every running job (not as a person's pause: they go back to `queued`). */
  async suspend(): Promise<void> {
    this.suspended = true;
    await this.stopRunning('suspend');
  }

  /** Undoes `suspend`: asks servers for offsets again and continues. */
  async wake(): Promise<void> {
    this.suspended = false;
    await this.restore();
  }

  private async stopRunning(reason: 'suspend' | 'close'): Promise<void> {
    const waits: Promise<void>[] = [];
    for (const id of this.running) {
      const live = this.book.jobs.get(id);
      if (!live) continue;
      live.stopReason = reason;
      live.controller?.abort();
      if (live.running) waits.push(live.running);
    }
    await Promise.all(waits);
  }

  // ------------------------------------------------------------------------------------------------------------
  // Adding
  // ------------------------------------------------------------------------------------------------------------

  /** Enqueues files and folders; folders become batches. Unusable paths are returned in `rejected` (see adding.ts). */
  async addPaths(paths: string[], opts: AddOptions): Promise<AddResult> {
    this.profiles.remember(opts.profile);
    const result = await addPathsToBook(this.book, paths, opts, this.now);
    this.pendingDirty = true;
    this.changes.orderChanged = result.jobIds.length > 0 || this.changes.orderChanged;
    this.events.schedule();
    this.pump();
    return result;
  }

  // ------------------------------------------------------------------------------------------------------------
  // Actions
  // ------------------------------------------------------------------------------------------------------------

  /** Pauses jobs; a running upload is stopped through its AbortSignal and stays resumable. */
  async pause(target: Target): Promise<void> {
    const waits: Promise<void>[] = [];
    for (const live of this.book.select(target)) {
      const s = live.rec.status;
      if (s !== 'queued' && s !== 'uploading' && s !== 'retrying') continue;
      clearRetryTimer(live);
      if (live.running) {
        live.stopReason = 'pause';
        live.controller?.abort();
        waits.push(live.running);
      }
      this.book.log(live, 'paused', 'Paused.');
      this.book.update(live, { status: 'paused', nextAttemptAt: undefined });
    }
    this.held = false;
    await Promise.all(waits);
  }

  /** Resumes paused jobs (and starts waiting retries now). */
  async resume(target: Target): Promise<void> {
    for (const live of this.book.select(target)) {
      const s = live.rec.status;
      if (s === 'paused' || s === 'retrying') {
        clearRetryTimer(live);
        this.book.update(live, { status: 'queued', nextAttemptAt: undefined });
      }
    }
    this.held = false;
    this.pendingDirty = true;
    this.pump();
  }

  /** Retries failed or cancelled jobs (and waiting retries) now. */
  async retry(target: Target): Promise<void> {
    for (const live of this.book.select(target)) {
      const s = live.rec.status;
      if (s === 'failed' || s === 'cancelled' || s === 'retrying') {
        clearRetryTimer(live);
        live.failStreak = 0;
        this.book.update(live, { status: 'queued', nextAttemptAt: undefined, finishedAt: undefined });
      }
    }
    this.held = false;
    this.pendingDirty = true;
    this.pump();
  }

  /**
   * Cancels jobs and removes their uploads on the server (when the server supports termination). Returns, per
   * cancelled job, whether its server upload is gone; one that could not be removed also gets a `notice` saying so
   * (with its URL and the reason), since the job itself forgets the URL.
   */
  async cancel(target: Target): Promise<CancelOutcome[]> {
    const lives = this.book.select(target).filter((l) => l.rec.status !== 'completed' && l.rec.status !== 'cancelled');
    const outcomes = await Promise.all(lives.map((l) => this.cancelOne(l, 'cancel')));
    await this.store.flush();
    return outcomes;
  }

  private async cancelOne(live: LiveJob, reason: 'cancel' | 'remove'): Promise<CancelOutcome> {
    const outcome: CancelOutcome = { jobId: live.rec.id };
    clearRetryTimer(live);
    if (live.running) {
      live.stopReason = reason;
      live.controller?.abort();
      this.book.update(live, { status: 'cancelled', nextAttemptAt: undefined });
      await live.running;
    }
    if (live.rec.status === 'completed') {
      outcome.completed = true;
      return outcome;
    }
    const url = live.rec.uploadUrl;
    this.book.log(live, 'cancelled', url ? 'Cancelled; removing the upload from the server.' : 'Cancelled.');
    this.book.update(live, { status: 'cancelled', nextAttemptAt: undefined, uploadUrl: undefined, offset: 0 }, 0);
    if (!url) return outcome;
    outcome.uploadUrl = url;
    const gone = await this.terminate(live.rec.profileId, url);
    outcome.removed = gone.removed;
    if (!gone.removed) {
      outcome.reason = gone.reason;
      outcome.code = gone.code;
      // Said on the job (and in its log), not only returned: a person looking at the queue later sees it too.
      const notice = `The upload could not be removed from the server (${url}): ${gone.reason}`;
      this.book.log(live, 'terminate-failed', notice);
      this.book.update(live, { notice });
    }
    return outcome;
  }

  /**
   * DELETE of an upload. A server that no longer has it counts as removed; any other failure (no termination
   * extension, an error status, no connection) is returned, never thrown: the job is cancelled either way.
   */
  private async terminate(profileId: string, url: string): Promise<{ removed: true } | { removed: false; reason: string; code: string }> {
    try {
      const client = await this.profiles.client(profileId);
      await client.deleteUpload(url);
      return { removed: true };
    } catch (err) {
      const info = toErrorInfo(err);
      if (info.code === 'not-found') return { removed: true };
      return { removed: false, reason: info.message, code: info.code };
    }
  }

  /** Removes jobs (cancelling them first if they have not completed). Emptied batches go too. */
  async remove(target: Target): Promise<void> {
    const lives = this.book.select(target);
    await Promise.all(lives.filter((l) => UNFINISHED.has(l.rec.status) || l.rec.status === 'failed').map((l) => this.cancelOne(l, 'remove')));
    this.dropJobs(lives);
    if (target.kind === 'batch') this.book.dropBatch(target.id);
    await this.store.flush();
  }

  /** Removes completed and cancelled jobs (they stay in history). */
  async clearFinished(): Promise<void> {
    this.dropJobs([...this.book.jobs.values()].filter((l) => l.rec.status === 'completed' || l.rec.status === 'cancelled'));
    await this.store.flush();
  }

  /** Forgets jobs (see JobBook.dropJobs) and has the scheduler plan again. */
  private dropJobs(lives: LiveJob[]): void {
    if (lives.length === 0) return;
    this.book.dropJobs(lives);
    this.pendingDirty = true;
  }

  /** Moves a job to `toIndex` of the run order. It takes the priority of its new neighbours so the order holds. */
  async reorder(jobId: string, toIndex: number): Promise<void> {
    const live = this.book.jobs.get(jobId);
    if (!live) throw new Error(`No job with id "${jobId}" in the queue. Refresh the list; it may have been removed.`);
    const ids = this.book.sortedIds().filter((id) => id !== jobId);
    const at = Math.max(0, Math.min(toIndex, ids.length));
    const before = at > 0 ? this.book.jobs.get(ids[at - 1])!.rec : undefined;
    const after = at < ids.length ? this.book.jobs.get(ids[at])!.rec : undefined;
    let priority: number;
    let order: number;
    if (before && after && before.priority === after.priority) {
      priority = before.priority;
      order = (before.order + after.order) / 2;
    } else if (before) {
      // Last of its priority group: anything after it in that group works.
      priority = before.priority;
      order = before.order + 1;
    } else if (after) {
      priority = after.priority;
      order = after.order - 1;
    } else {
      priority = live.rec.priority;
      order = live.rec.order;
    }
    this.book.update(live, { priority, order });
    this.pendingDirty = true;
    this.changes.orderChanged = true;
    this.events.schedule();
    this.pump();
  }

  /** Sets the priority of jobs (higher runs first). */
  async setPriority(target: Target, priority: number): Promise<void> {
    for (const live of this.book.select(target)) if (live.rec.priority !== priority) this.book.update(live, { priority });
    this.pendingDirty = true;
    this.changes.orderChanged = true;
    this.events.schedule();
    this.pump();
  }

  /** Changes how many uploads run at once. */
  setConcurrency(n: number): void {
    this.concurrency = Math.max(1, n);
    this.pump();
  }

  /** Changes the global bandwidth limit while uploading (0 = unlimited). */
  setBandwidthLimit(bytesPerSecond: number): void {
    this.limiter.setRate(bytesPerSecond);
    this.changes.bandwidthChanged = true;
    this.events.schedule();
  }

  /** Forgets cached clients of a profile (its endpoint, headers or TLS options changed). */
  profileChanged(profile: ServerProfile | { id: string; deleted: true }): void {
    this.profiles.changed(profile);
  }

  /** Whether any job uses this profile. */
  usesProfile(profileId: string): boolean {
    for (const live of this.book.jobs.values()) if (live.rec.profileId === profileId && UNFINISHED.has(live.rec.status)) return true;
    return false;
  }

  // ------------------------------------------------------------------------------------------------------------
  // Reading
  // ------------------------------------------------------------------------------------------------------------

  private batchSpeed(id: string): number {
    let s = 0;
    for (const jid of this.running) {
      const l = this.book.jobs.get(jid);
      if (l?.rec.batchId === id) s += l.speed?.bytesPerSecond ?? 0;
    }
    return s;
  }

  /** Totals over the queue (cancelled jobs are left out). */
  totals(): QueueTotals {
    return totalsView(this.book.total, this.overall.bytesPerSecond);
  }

  /** The shell's summary. */
  status(): EngineStatus {
    const t = this.book.total;
    const active = t.uploading + t.retrying;
    return { totals: this.totals(), active, paused: this.suspended || (active === 0 && t.paused > 0) };
  }

  /** Everything at once; then apply deltas with a higher `seq`. */
  snapshot(): QueueSnapshot {
    return {
      jobs: this.book.sortedIds().map((id) => jobView(this.book.jobs.get(id)!)),
      batches: [...this.book.batches.values()].map((b) => this.book.batchView(b)),
      totals: this.totals(),
      bandwidthLimit: this.limiter.bytesPerSecond,
      throughput: this.throughput.list(),
      seq: this.changes.seq,
    };
  }

  /** One job, whole, with its attempt log. */
  details(jobId: string, endpoint: string): JobDetails {
    const live = this.book.jobs.get(jobId);
    if (!live) throw new Error(`No job with id "${jobId}" in the queue. Refresh the list; it may have been removed.`);
    const d: JobDetails = { job: jobView(live), attemptLog: [...live.rec.attemptLog], endpoint };
    if (live.serverOffset !== undefined) d.serverOffset = live.serverOffset;
    if (live.expiresAt !== undefined) d.expiresAt = live.expiresAt;
    return d;
  }

  /** The job's record (for the API and tests). */
  job(jobId: string): JobView | undefined {
    const live = this.book.jobs.get(jobId);
    return live ? jobView(live) : undefined;
  }

  /** Ids of every job, in run order. */
  jobIds(): string[] {
    return this.book.sortedIds();
  }

  /** Finished uploads, oldest first. */
  historyEntries(): HistoryEntry[] {
    return this.book.history;
  }

  /** True when nothing is queued, uploading or waiting to retry. */
  isIdle(): boolean {
    return this.book.total.uploading + this.book.total.retrying + this.book.total.queued === 0;
  }

  onDelta(listener: (d: QueueDelta) => void): () => void {
    return this.events.onDelta(listener);
  }

  onStatus(listener: (s: EngineStatus) => void): () => void {
    return this.events.onStatus(listener);
  }

  onNotification(listener: (n: EngineNotification) => void): () => void {
    return this.events.onNotification(listener);
  }

  // ------------------------------------------------------------------------------------------------------------
  // Scheduling and running
  // ------------------------------------------------------------------------------------------------------------

  private pump(): void {
    if (this.closed || this.closing || this.suspended || this.held || this.pumping) return;
    this.pumping = true;
    try {
      if (this.pendingDirty) {
        this.pending = this.book.sortedIds().filter((id) => this.book.jobs.get(id)!.rec.status === 'queued');
        this.pendingProfiles = new Set(this.pending.map((id) => this.book.jobs.get(id)!.rec.profileId));
        this.pendingHead = 0;
        this.pendingDirty = false;
      }
      this.prefetchSmallFiles();
      // Profiles at their own limit in this pass: once every profile with waiting jobs is, the rest of the list cannot
      // start either (without this, a full per-server limit made every pass walk the whole queue: O(queue) per file).
      let blocked: Set<string> | undefined;
      for (let i = this.pendingHead; i < this.pending.length && this.runningUnits < this.concurrency * SLOT_UNITS; i++) {
        const id = this.pending[i];
        const live = this.book.jobs.get(id);
        if (!live || live.rec.status !== 'queued' || this.running.has(id)) {
          if (i === this.pendingHead) this.pendingHead++;
          continue;
        }
        const profile = this.profiles.cachedProfile(live.rec.profileId);
        const limit = (profile?.maxConcurrent ?? 1) * SLOT_UNITS;
        if ((this.runningPerProfile.get(live.rec.profileId) ?? 0) >= limit) {
          (blocked ??= new Set()).add(live.rec.profileId);
          if (blocked.size >= this.pendingProfiles.size) break;
          continue;
        }
        if (i === this.pendingHead) this.pendingHead++;
        this.startJob(live);
      }
    } finally {
      this.pumping = false;
    }
  }

  /**
   * Has the next queued new small files (one-request uploads, to servers already known to accept creation-with-upload)
   * read ahead in one batch by the small-file reader, when fewer than half of `PREFETCH_AHEAD` are waiting there: a folder of small files then costs the event loop one
   * message per few dozen files instead of four thread-pool round trips per file (see tus/small-files.ts).
   */
  private prefetchSmallFiles(): void {
    if (smallFileReader.pendingCount >= PREFETCH_AHEAD / 2) return;
    const paths: string[] = [];
    // Bounded walk: a queue of large files ahead of the small ones is not scanned end to end on every pass.
    const end = Math.min(this.pending.length, this.pendingHead + PREFETCH_AHEAD * 4);
    for (let i = this.pendingHead; i < end && paths.length < PREFETCH_AHEAD; i++) {
      const rec = this.book.jobs.get(this.pending[i])?.rec;
      if (!rec || rec.status !== 'queued' || rec.uploadUrl || rec.offset !== 0 || !isSmallJob(rec)) continue;
      if (this.running.has(rec.id) || smallFileReader.has(rec.path)) continue;
      // Only where the one-request path will run (the server is known to take the body with the creation): elsewhere
      // the copy would expire unused and be read again by the next batch.
      if (!this.profiles.existingClient(rec.profileId)?.knownServerInfo?.()?.extensions.includes('creation-with-upload')) continue;
      paths.push(rec.path);
    }
    if (paths.length > 0) smallFileReader.prefetch(paths, SMALL_FILE_MAX);
  }

  private startJob(live: LiveJob): void {
    const id = live.rec.id;
    this.running.add(id);
    // Fixed at start: the size may change while running (a changed source), the release must match.
    const units = slotUnits(live.rec);
    this.runningUnits += units;
    this.runningPerProfile.set(live.rec.profileId, (this.runningPerProfile.get(live.rec.profileId) ?? 0) + units);
    live.stopReason = undefined;
    live.controller = new AbortController();
    live.speed = new SpeedMeter();
    const now = this.now();
    const attempt = live.rec.attempt + 1;
    // The log entry goes in the same journal record as the status change.
    this.book.log(live, 'started', live.rec.uploadUrl ? `Attempt ${attempt}: resuming.` : `Attempt ${attempt}: starting.`, undefined, undefined, attempt, false);
    // A new small job (one request) journals its start with its result: a restart puts an 'uploading' job back in
    // the queue anyway, so the record would only save the attempt number of an attempt cut short by a crash.
    const deferStart = !live.rec.uploadUrl && live.rec.offset === 0 && isSmallJob(live.rec);
    this.book.update(live, { status: 'uploading', attempt, nextAttemptAt: undefined, startedAt: live.rec.startedAt ?? now, attemptLog: live.rec.attemptLog }, undefined, deferStart);
    live.running = this.runJob(live)
      .catch((err: unknown) => this.handleFailure(live, err))
      .finally(() => {
        this.running.delete(id);
        this.runningUnits -= units;
        const n = (this.runningPerProfile.get(live.rec.profileId) ?? units) - units;
        if (n <= 0) this.runningPerProfile.delete(live.rec.profileId);
        else this.runningPerProfile.set(live.rec.profileId, n);
        live.controller = undefined;
        live.running = undefined;
        live.speed = undefined;
        if (live.stopReason === 'suspend' || live.stopReason === 'close') {
          if (live.rec.status === 'uploading') this.book.update(live, { status: 'queued' });
          this.pendingDirty = true;
        }
        this.changes.dirtyJobs.add(id);
        this.events.schedule();
        this.pump();
      });
  }

  private async runJob(live: LiveJob): Promise<void> {
    const rec = live.rec;
    const signal = live.controller!.signal;
    const profile = await this.profiles.profile(rec.profileId);
    const client = await this.profiles.client(rec.profileId);
    // A new small job skips the separate source check: its one readFile fails the same way on a missing file, and
    // the size it read is what gets recorded (below).
    const fresh = !rec.uploadUrl && rec.offset === 0 && isSmallJob(rec) && client.uploadSmallFile !== undefined;
    if (!fresh && !(await this.checkSource(live))) return;
    if (signal.aborted) return;
    let parallelUploads: number | undefined;
    if (profile.parallelUploads > 1 && rec.size >= profile.parallelUploads * 1024 * 1024) {
      const info = await this.profiles.serverInfo(rec.profileId);
      if (info?.extensions.includes('concatenation')) parallelUploads = profile.parallelUploads;
    }
    const options: UploadFileOptions & { path: string } = {
      path: rec.path,
      metadata: rec.metadata,
      ...(rec.uploadUrl ? { uploadUrl: rec.uploadUrl } : {}),
      ...(parallelUploads ? { parallelUploads } : {}),
      signal,
      onUploadUrl: async (url) => {
        // Durable before the first byte: a crash after this point resumes this upload instead of creating another.
        rec.uploadUrl = url;
        rec.offset = 0;
        this.book.persist(live, { uploadUrl: url, offset: 0, size: rec.size, mtimeMs: rec.mtimeMs, attemptLog: rec.attemptLog });
        this.changes.dirtyJobs.add(rec.id);
        await this.store.flush();
      },
      onProgress: (sent) => {
        if (signal.aborted) return;
        const delta = sent - live.sent;
        if (delta > 0) {
          live.speed?.add(delta);
          this.overall.add(delta);
          this.secondBytes += delta;
        }
        this.book.setSent(live, sent);
      },
      onChunkComplete: (offset) => {
        if (offset > rec.offset) live.failStreak = 0;
        rec.offset = offset;
        live.serverOffset = offset;
        // The last chunk's offset is written with the completion right after (a crash in between: the restart asks
        // the server and finds the upload complete), so it is not a journal line of its own.
        if (offset < rec.size) this.book.persist(live, { offset });
        if (offset > live.sent) this.book.setSent(live, offset);
      },
      onEvent: (event) => this.onUploadEvent(live, event),
    };
    // Small new files go in the creation request itself (see docs/queue.md, "Durability"): one request, no PATCH.
    const small = fresh ? await client.uploadSmallFile!(options) : undefined;
    if (fresh && !small) {
      // Not sent (it grew, became empty, or the server lacks creation-with-upload): the normal path, checked first.
      if (!(await this.checkSource(live))) return;
      if (signal.aborted) return;
    }
    const result = small ?? (await client.uploadFile(options));
    if (!result.complete) throw Object.assign(new Error('The upload stopped before the end.'), { code: 'http', retryable: true });
    const now = this.now();
    live.failStreak = 0;
    const { patch, size } = completionPatch(rec, result, now, small?.size);
    this.book.log(live, 'completed', `Completed (${size} bytes).`, size, undefined, undefined, false);
    patch.attemptLog = rec.attemptLog;
    this.book.update(live, patch, size);
    const entry = historyEntryFor(rec, profile.endpoint, result, now);
    this.book.addHistory(entry);
    this.events.jobFinished(rec.size);
    // Made durable in the next group write without holding the slot: a crash before it only means the restart asks
    // the server (HEAD), finds the upload complete and marks it so; nothing is sent twice.
    this.store.flush().catch(() => undefined);
  }

  private handleFailure(live: LiveJob, err: unknown): void {
    if (live.stopReason) return; // paused, cancelled, suspended or closing: whoever stopped it set the status
    const info = toErrorInfo(err);
    const rec = live.rec;
    if (info.code === 'not-found' && rec.uploadUrl) {
      // The server forgot the upload mid-way (expired, cleaned up): start again rather than fail.
      info.retryable = true;
      info.hint = 'The server no longer has this upload; Tusk starts it again from the beginning.';
      this.book.update(live, { uploadUrl: undefined, offset: 0, notice: 'The server lost the earlier upload (expired or removed); it was uploaded again from the start.' }, 0);
    }
    if (info.code === 'aborted') info.retryable = true;
    if (info.retryable) {
      live.failStreak++;
      const delay = Math.max(retryDelay(live.failStreak, this.retryBase, this.retryMax), serverRetryAfter(err));
      const at = this.now() + delay;
      this.book.log(live, 'retry', `${info.message} Next attempt in ${Math.ceil(delay / 1000)} s.`, undefined, delay);
      this.book.update(live, { status: 'retrying', lastError: info, nextAttemptAt: at });
      live.timer = setTimeout(() => {
        live.timer = undefined;
        if (live.rec.status !== 'retrying' || !this.book.jobs.has(live.rec.id)) return;
        this.book.update(live, { status: 'queued', nextAttemptAt: undefined });
        this.pendingDirty = true;
        this.pump();
      }, delay);
      live.timer.unref();
      return;
    }
    this.book.log(live, 'failed', info.message);
    this.book.update(live, { status: 'failed', lastError: info, nextAttemptAt: undefined });
    this.events.jobFailed(`${rec.name}: ${info.message}`);
  }

  private onUploadEvent(live: LiveJob, event: UploadEvent): void {
    const fx = uploadEventEffect(event);
    if (fx.serverOffset !== undefined) live.serverOffset = fx.serverOffset;
    this.book.log(live, fx.kind, fx.message, fx.offset, fx.delayMs, undefined, fx.persist);
    if (fx.notice) this.book.update(live, { notice: fx.notice });
    if (fx.sent !== undefined) this.book.setSent(live, fx.sent);
  }

  /** Missing → failed; changed size or mtime → a new upload from the start (never on top of the old bytes). */
  private async checkSource(live: LiveJob): Promise<boolean> {
    const check = await inspectSource(live.rec);
    if (check.kind === 'unusable') {
      const info = check.error;
      this.book.log(live, 'failed', info.message);
      if (live.running) live.stopReason = undefined;
      this.book.update(live, { status: 'failed', lastError: info, nextAttemptAt: undefined });
      this.events.jobFailed(`${live.rec.name}: ${info.message}`);
      return false;
    }
    if (check.kind === 'changed') {
      const old = live.rec.uploadUrl;
      const { patch, started } = sourceChangedPatch(live.rec, check.size, check.mtimeMs);
      if (started) this.book.log(live, 'restarted', 'The file changed (size or modification time); starting a new upload.', 0);
      this.book.update(live, patch, 0);
      if (old) void this.terminate(live.rec.profileId, old);
    }
    return true;
  }

  /** Asks the server how far a restored job's upload got (HEAD); a running or re-created upload keeps its own. */
  private async refreshOffset(live: LiveJob): Promise<void> {
    const url = live.rec.uploadUrl;
    if (!url) return;
    const found = await askServerOffset(() => this.profiles.client(live.rec.profileId), url);
    if (this.running.has(live.rec.id) || live.rec.uploadUrl !== url) return;
    if (found.kind === 'offset') {
      live.serverOffset = found.offset;
      if (found.expiresAt !== undefined) live.expiresAt = found.expiresAt;
      this.book.update(live, { offset: found.offset }, found.offset);
    } else if (found.kind === 'gone') {
      this.book.log(live, 'restarted', 'The server no longer has the earlier upload (expired or removed); it starts again.', 0);
      this.book.update(live, { uploadUrl: undefined, offset: 0, notice: 'The earlier upload expired on the server; it was uploaded again from the start.' }, 0);
    }
  }

  /** Loads profiles of restored jobs, so per-server limits are known before scheduling. */
  async warmProfiles(): Promise<void> {
    await this.profiles.warm([...this.book.jobs.values()].map((l) => l.rec.profileId));
  }

  // ------------------------------------------------------------------------------------------------------------
  // Bookkeeping: every change of a job goes through `update`, which keeps totals and batch counters exact.
  // ------------------------------------------------------------------------------------------------------------

  private tick(): void {
    const t = performance.now();
    const dt = t - this.lastTick;
    this.lastTick = t;
    for (const id of this.running) {
      const live = this.book.jobs.get(id);
      if (!live) continue;
      live.speed?.tick(dt);
      this.changes.dirtyJobs.add(id);
      if (live.rec.batchId) this.changes.dirtyBatches.add(live.rec.batchId);
    }
    const before = this.overall.bytesPerSecond;
    this.overall.tick(dt);
    if (this.running.size === 0 && this.overall.bytesPerSecond < 1024) this.overall.reset();
    if (t - this.secondStart >= 1000) {
      const rate = (this.secondBytes * 1000) / (t - this.secondStart);
      this.secondBytes = 0;
      this.secondStart = t;
      this.changes.newSamples.push(this.throughput.push(this.now(), rate));
      this.events.schedule();
    }
    if (this.running.size > 0 || before !== this.overall.bytesPerSecond) this.events.schedule();
  }
}
