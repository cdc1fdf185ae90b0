import { randomUUID } from 'node:crypto';
import type { AttemptLogEntry, BatchView, HistoryEntry, JobStatus, ServerProfile, Target } from '../../../shared/types';
import type { BatchRecord, JobRecord, QueueStore } from '../store/types';
import type { QueueEvents } from './events';
import { mimeTypeOf } from './history';
import { clearRetryTimer, type LiveJob } from './live-job';
import { interruptedAddMessage } from './restore';
import { batchView, countJob, emptyAgg, isBatchDone, type Agg, type DeltaChanges } from './views';

const ATTEMPT_LOG_MAX = 50;

/**
 * The queue's jobs, batches and history in memory, and their bookkeeping. Every change of a job goes through `update`,
 * which journals it (the store), keeps the per-status counters of the queue and of each batch exact, and marks the
 * job for the next delta; a batch whose last job settles is told finished. The scheduler (queue.ts) decides what
 * happens to a job; the book records it.
 */
export class JobBook {
  readonly jobs = new Map<string, LiveJob>();
  readonly batches = new Map<string, BatchRecord>();
  /** Counters over every job that is not cancelled (what the totals show). */
  readonly total: Agg = emptyAgg();
  /** Finished uploads, oldest first. */
  readonly history: HistoryEntry[];
  /** Batches whose `addPaths` was cut short by a crash (still marked `scanning`), completed by the queue's restore. */
  readonly interruptedAdds: string[] = [];
  private readonly batchAgg = new Map<string, Agg>();
  /** Batches already told finished (a `batch-finished` notification each). */
  private readonly finishedBatches = new Set<string>();
  private maxOrder = 0;
  /** What the next delta carries (the events' own). */
  private readonly changes: DeltaChanges;

  /**
   * Loads the store's jobs and batches (a job cut short while uploading or waiting to retry is queued again) and adds
   * a recovery message for each folder add a crash cut short to `recoveryMessages`.
   */
  constructor(
    private readonly store: QueueStore,
    private readonly events: QueueEvents,
    private readonly now: () => number,
    /** Bytes per second of a batch's running jobs (the scheduler knows which run). */
    private readonly batchSpeed: (batchId: string) => number,
    recoveryMessages: string[],
  ) {
    this.changes = events.changes;
    // The store writes our records at compaction instead of keeping a copy of each (before `loaded` is read, so the
    // loaded jobs are handed over rather than copied). Every change of a record goes to the store in the same turn.
    this.store.useLiveJobs?.(() => this.liveRecords());
    const loaded = this.store.loaded;
    this.history = [...loaded.history];
    recoveryMessages.push(...loaded.recovery.messages);
    for (const b of loaded.batches.values()) {
      this.batches.set(b.id, b);
      this.batchAgg.set(b.id, emptyAgg());
    }
    for (const rec of loaded.jobs.values()) {
      // A job that was uploading or waiting when the process stopped simply continues.
      if (rec.status === 'uploading' || rec.status === 'retrying') {
        rec.status = 'queued';
        rec.nextAttemptAt = undefined;
      }
      if (rec.batchId && !this.batches.has(rec.batchId)) rec.batchId = undefined;
      const live: LiveJob = { rec, sent: rec.status === 'completed' ? rec.size : rec.offset, failStreak: 0 };
      this.jobs.set(rec.id, live);
      this.addAgg(live, 1);
      if (rec.order > this.maxOrder) this.maxOrder = rec.order;
    }
    for (const [id, agg] of this.batchAgg) if (agg.jobs > 0 && isBatchDone(agg)) this.finishedBatches.add(id);
    for (const b of this.batches.values()) {
      if (!b.scanning) continue;
      this.interruptedAdds.push(b.id);
      recoveryMessages.push(interruptedAddMessage(b, this.batchAgg.get(b.id)?.jobs ?? 0));
    }
  }

  private *liveRecords(): Generator<JobRecord> {
    for (const live of this.jobs.values()) yield live.rec;
  }

  /** A batch as the UI sees it. */
  batchView(b: BatchRecord): BatchView {
    return batchView(b, this.batchAgg.get(b.id) ?? emptyAgg(), this.batchSpeed(b.id));
  }

  /** Records a new batch (written to the store at once; `scanning` marks it until its last job is written). */
  addBatch(batch: BatchRecord): void {
    this.batches.set(batch.id, batch);
    this.batchAgg.set(batch.id, emptyAgg());
    this.store.putBatch(batch);
    this.changes.dirtyBatches.add(batch.id);
  }

  /** A batch's jobs are all written: it loses its `scanning` mark (a restart no longer completes it). */
  batchComplete(batch: BatchRecord): void {
    delete batch.scanning;
    this.store.putBatch(batch);
    this.changes.dirtyBatches.add(batch.id);
  }

  /** Records a finished upload in the history. */
  addHistory(entry: HistoryEntry): void {
    this.history.push(entry);
    this.store.appendHistory(entry);
  }

  /** Paths with an unfinished job (anything but completed or cancelled) on the profile, with that job's status. */
  unfinishedPaths(profileId: string): Map<string, JobStatus> {
    const out = new Map<string, JobStatus>();
    for (const { rec } of this.jobs.values()) {
      if (rec.profileId === profileId && rec.status !== 'completed' && rec.status !== 'cancelled') out.set(rec.path, rec.status);
    }
    return out;
  }

  /** Records a new queued job for a file (metadata: the profile's, `filename`, `filetype`, `relativePath` in a folder). */
  newJob(
    path: string,
    name: string,
    batchId: string | undefined,
    relativePath: string | undefined,
    size: number,
    mtimeMs: number,
    profile: ServerProfile,
    now: number,
  ): JobRecord {
    const metadata: Record<string, string> = { ...(profile.metadata ?? {}), filename: name, filetype: mimeTypeOf(name) };
    if (relativePath !== undefined) metadata.relativePath = relativePath;
    const rec: JobRecord = {
      id: randomUUID(),
      profileId: profile.id,
      path,
      name,
      size,
      mtimeMs,
      metadata,
      status: 'queued',
      priority: 0,
      order: ++this.maxOrder,
      offset: 0,
      attempt: 0,
      createdAt: now,
      attemptLog: [],
    };
    if (batchId) rec.batchId = batchId;
    if (relativePath !== undefined) rec.relativePath = relativePath;
    const live: LiveJob = { rec, sent: 0, failStreak: 0 };
    this.jobs.set(rec.id, live);
    this.addAgg(live, 1);
    this.store.putJob(rec);
    this.changes.dirtyJobs.add(rec.id);
    if (batchId) this.changes.dirtyBatches.add(batchId);
    return rec;
  }

  /** The jobs a target names; throws, saying so, for a job or batch that is not (or no longer) in the queue. */
  select(target: Target): LiveJob[] {
    if (target.kind === 'job') {
      const live = this.jobs.get(target.id);
      if (!live) throw new Error(`No job with id "${target.id}" in the queue. Refresh the list; it may have been removed.`);
      return [live];
    }
    if (target.kind === 'batch') {
      if (!this.batches.has(target.id)) throw new Error(`No batch with id "${target.id}" in the queue. Refresh the list; it may have been removed.`);
      return [...this.jobs.values()].filter((l) => l.rec.batchId === target.id);
    }
    return [...this.jobs.values()];
  }

  /** Forgets jobs (memory, store, counters); a batch left empty goes too. The caller re-plans the schedule. */
  dropJobs(lives: LiveJob[]): void {
    if (lives.length === 0) return;
    const ids: string[] = [];
    const touched = new Set<string>();
    for (const live of lives) {
      clearRetryTimer(live);
      this.addAgg(live, -1);
      this.jobs.delete(live.rec.id);
      this.changes.dirtyJobs.delete(live.rec.id);
      ids.push(live.rec.id);
      if (live.rec.batchId) touched.add(live.rec.batchId);
    }
    this.store.removeJobs(ids);
    this.changes.removedJobs.push(...ids);
    for (const b of touched) {
      if ((this.batchAgg.get(b)?.jobs ?? 0) === 0) this.dropBatch(b);
      else this.changes.dirtyBatches.add(b);
    }
    this.changes.orderChanged = true;
    this.events.schedule();
  }

  /** Forgets a batch (memory, store). */
  dropBatch(id: string): void {
    if (!this.batches.delete(id)) return;
    this.batchAgg.delete(id);
    this.finishedBatches.delete(id);
    this.store.removeBatches([id]);
    this.changes.dirtyBatches.delete(id);
    this.changes.removedBatches.push(id);
    this.events.schedule();
  }

  /** The run order: higher priority first, then `order`. */
  sortedIds(): string[] {
    const lives = [...this.jobs.values()];
    lives.sort((a, b) => b.rec.priority - a.rec.priority || a.rec.order - b.rec.order);
    return lives.map((l) => l.rec.id);
  }

  private addAgg(live: LiveJob, sign: 1 | -1): void {
    countJob(this.total, live.rec, live.sent, sign);
    if (live.rec.batchId) {
      const b = this.batchAgg.get(live.rec.batchId);
      if (b) countJob(b, live.rec, live.sent, sign);
    }
  }

  /**
   * Applies a patch to a job (memory, store, counters, delta). `sent` sets the live offset too. With `defer` the patch
   * is not journaled now but with the job's next record (`persist`).
   */
  update(live: LiveJob, patch: Partial<JobRecord>, sent?: number, defer = false): void {
    this.addAgg(live, -1);
    Object.assign(live.rec, patch);
    for (const k of Object.keys(patch) as Array<keyof JobRecord>) if (patch[k] === undefined) delete live.rec[k];
    if (sent !== undefined) live.sent = sent;
    this.addAgg(live, 1);
    if (defer) live.deferred = Object.assign(live.deferred ?? {}, patch);
    else this.persist(live, patch);
    this.changes.dirtyJobs.add(live.rec.id);
    const b = live.rec.batchId;
    if (b) {
      this.changes.dirtyBatches.add(b);
      if (patch.status) this.checkBatchFinished(b);
    }
    this.events.schedule();
  }

  private checkBatchFinished(id: string): void {
    const a = this.batchAgg.get(id);
    const b = this.batches.get(id);
    if (!a || !b) return;
    const done = a.jobs > 0 && isBatchDone(a);
    if (done && !this.finishedBatches.has(id)) {
      this.finishedBatches.add(id);
      if (a.completed > 0) this.events.notify({ kind: 'batch-finished', batch: this.batchView(b) });
    } else if (!done) this.finishedBatches.delete(id);
  }

  /** Sets the bytes sent of a running job (what the UI shows, in flight included) and the counters with it. */
  setSent(live: LiveJob, sent: number): void {
    if (sent === live.sent) return;
    const d = sent - live.sent;
    live.sent = sent;
    if (live.rec.status !== 'cancelled' && live.rec.status !== 'completed') {
      this.total.offset += d;
      if (live.rec.batchId) {
        const b = this.batchAgg.get(live.rec.batchId);
        if (b) b.offset += d;
        this.changes.dirtyBatches.add(live.rec.batchId);
      }
    }
    this.changes.dirtyJobs.add(live.rec.id);
    this.events.schedule();
  }

  /**
   * Adds an attempt-log entry. With `persist` false the caller writes `attemptLog` in its own next patch (or the next
   * entry does), saving a journal record; the entry is in memory (and in the UI) at once either way.
   */
  log(live: LiveJob, kind: string, message: string, offset?: number, delayMs?: number, attempt?: number, persist = true): void {
    const entry: AttemptLogEntry = { at: this.now(), attempt: attempt ?? live.rec.attempt, kind, message };
    if (offset !== undefined) entry.offset = offset;
    if (delayMs !== undefined) entry.delayMs = delayMs;
    const log = live.rec.attemptLog;
    log.push(entry);
    if (log.length > ATTEMPT_LOG_MAX) log.splice(0, log.length - ATTEMPT_LOG_MAX);
    if (persist) this.persist(live, { attemptLog: log });
  }

  /** Journals a change of a job, together with any deferred one (so what was deferred is never dropped). */
  persist(live: LiveJob, patch: Partial<JobRecord>): void {
    const deferred = live.deferred;
    live.deferred = undefined;
    // The deferred object is ours alone (made in `update`), so it can take the new fields.
    this.store.patchJob(live.rec.id, deferred ? Object.assign(deferred, patch) : patch);
  }
}
