/**
 * What the UI sees of the queue: job and batch views, totals, and the coalescing of changes into deltas.
 * Kept apart from the scheduler so the shape of a view can be read (and changed) without the upload logic; the
 * functions here only read what they are handed, the queue owns the state.
 */
import type { BatchView, JobStatus, JobView, QueueDelta, QueueTotals, ThroughputSample } from '../../../shared/types';
import type { BatchRecord, JobRecord } from '../store/types';
import type { LiveJob } from './live-job';
import { etaSeconds } from './speed';

/** Counters over a set of jobs (the whole queue, or one batch), kept exact by adding and removing each job. */
export interface Agg {
  jobs: number;
  completed: number;
  failed: number;
  cancelled: number;
  uploading: number;
  retrying: number;
  queued: number;
  paused: number;
  size: number;
  offset: number;
}

/** Counters of no jobs. */
export const emptyAgg = (): Agg => ({ jobs: 0, completed: 0, failed: 0, cancelled: 0, uploading: 0, retrying: 0, queued: 0, paused: 0, size: 0, offset: 0 });

/**
 * Adds (`sign` 1) or removes (-1) a job's share of counters. The queue removes a job's share before changing it and
 * adds it back after, so counters never need a recount. Cancelled jobs count as jobs but not as bytes.
 */
export function countJob(a: Agg, r: JobRecord, sent: number, sign: 1 | -1): void {
  const off = r.status === 'completed' ? r.size : sent;
  a.jobs += sign;
  switch (r.status) {
    case 'completed': a.completed += sign; break;
    case 'failed': a.failed += sign; break;
    case 'cancelled': a.cancelled += sign; break;
    case 'uploading': a.uploading += sign; break;
    case 'retrying': a.retrying += sign; break;
    case 'queued': a.queued += sign; break;
    case 'paused': a.paused += sign; break;
  }
  if (r.status !== 'cancelled') {
    a.size += sign * r.size;
    a.offset += sign * off;
  }
}

/** The status a batch shows: the most active of its jobs' statuses. */
export function aggStatus(a: Agg): JobStatus {
  if (a.uploading > 0) return 'uploading';
  if (a.retrying > 0) return 'retrying';
  if (a.queued > 0) return 'queued';
  if (a.paused > 0) return 'paused';
  if (a.failed > 0) return 'failed';
  if (a.completed > 0) return 'completed';
  return a.cancelled > 0 ? 'cancelled' : 'queued';
}

/** Whether every job counted has finished (completed, failed or cancelled). */
export function isBatchDone(a: Agg): boolean {
  return a.completed + a.failed + a.cancelled === a.jobs;
}

/** A job as the UI sees it (optional fields only when they say something). */
export function jobView(live: LiveJob): JobView {
  const r = live.rec;
  const speed = live.rec.status === 'uploading' ? (live.speed?.bytesPerSecond ?? 0) : 0;
  const v: JobView = {
    id: r.id,
    profileId: r.profileId,
    path: r.path,
    name: r.name,
    size: r.size,
    offset: r.status === 'completed' ? r.size : live.sent,
    status: r.status,
    priority: r.priority,
    order: r.order,
    speed,
    attempt: r.attempt,
    createdAt: r.createdAt,
  };
  if (r.batchId) v.batchId = r.batchId;
  if (r.relativePath !== undefined) v.relativePath = r.relativePath;
  const eta = etaSeconds(r.size - live.sent, speed);
  if (eta !== undefined && r.status === 'uploading') v.etaSeconds = eta;
  if (r.lastError) v.lastError = r.lastError;
  if (r.nextAttemptAt !== undefined && r.status === 'retrying') v.nextAttemptAt = r.nextAttemptAt;
  if (r.uploadUrl) v.uploadUrl = r.uploadUrl;
  if (r.resultUrl) v.resultUrl = r.resultUrl;
  if (r.checksum) v.checksum = r.checksum;
  if (r.startedAt !== undefined) v.startedAt = r.startedAt;
  if (r.finishedAt !== undefined) v.finishedAt = r.finishedAt;
  if (r.notice) v.notice = r.notice;
  if (r.sourceChanged) v.sourceChanged = true;
  return v;
}

/** A batch as the UI sees it, from its counters and the summed speed of its running jobs. */
export function batchView(b: BatchRecord, a: Agg, speed: number): BatchView {
  const v: BatchView = {
    id: b.id,
    profileId: b.profileId,
    name: b.name,
    rootPath: b.rootPath,
    jobCount: a.jobs,
    completedCount: a.completed,
    failedCount: a.failed,
    activeCount: a.uploading + a.retrying,
    size: a.size,
    offset: a.offset,
    speed,
    status: aggStatus(a),
    problems: b.problems,
    createdAt: b.createdAt,
  };
  const eta = etaSeconds(a.size - a.offset, speed);
  if (eta !== undefined) v.etaSeconds = eta;
  return v;
}

/** Totals over the queue (cancelled jobs are left out). */
export function totalsView(t: Agg, speed: number): QueueTotals {
  const v: QueueTotals = {
    filesTotal: t.jobs - t.cancelled,
    filesDone: t.completed,
    filesFailed: t.failed,
    filesActive: t.uploading + t.retrying,
    bytesTotal: t.size,
    bytesDone: t.offset,
    speed,
  };
  const eta = etaSeconds(t.size - t.offset, speed);
  if (eta !== undefined && t.uploading > 0) v.etaSeconds = eta;
  return v;
}

/**
 * At most this many jobs per delta: 100,000 new jobs go to the UI as 20 deltas on consecutive turns of the event
 * loop, so no single message (and its copy in IPC) holds them all.
 */
export const DELTA_MAX_JOBS = 5000;

/** What `DeltaChanges.take` reads views from (the queue). */
export interface DeltaSource {
  totals(): QueueTotals;
  /** Undefined for a job removed since it was marked. */
  jobView(id: string): JobView | undefined;
  batchView(id: string): BatchView | undefined;
  /** Every job id in run order. */
  order(): string[];
  bandwidthLimit(): number;
}

/**
 * What changed since the last delta. The queue marks changes as they happen (cheap: ids in sets); views are built
 * only when a delta goes out, so a job that changes 50 times between two deltas is built once.
 */
export class DeltaChanges {
  /** Sequence number of the last delta (or of the last skipped one: a snapshot carries it). */
  seq = 0;
  readonly dirtyJobs = new Set<string>();
  readonly dirtyBatches = new Set<string>();
  removedJobs: string[] = [];
  removedBatches: string[] = [];
  orderChanged = false;
  bandwidthChanged = false;
  newSamples: ThroughputSample[] = [];

  /** Forgets every change (nobody listens: a later subscriber starts from a snapshot) and advances `seq`. */
  skip(): void {
    this.dirtyJobs.clear();
    this.dirtyBatches.clear();
    this.removedJobs = [];
    this.removedBatches = [];
    this.orderChanged = false;
    this.bandwidthChanged = false;
    this.newSamples = [];
    this.seq++;
  }

  /**
   * Builds the next delta from the marked changes and clears them. `backlog` is true when more than
   * `DELTA_MAX_JOBS` jobs changed: the rest stays marked for the next delta.
   */
  take(source: DeltaSource): { delta: QueueDelta; backlog: boolean } {
    const delta: QueueDelta = { seq: this.seq + 1, totals: source.totals() };
    let backlog = false;
    if (this.dirtyJobs.size > 0) {
      const jobs: JobView[] = [];
      for (const id of this.dirtyJobs) {
        if (jobs.length >= DELTA_MAX_JOBS) {
          backlog = true;
          break;
        }
        this.dirtyJobs.delete(id);
        const v = source.jobView(id);
        if (v) jobs.push(v);
      }
      delta.jobs = jobs;
    }
    if (this.dirtyBatches.size > 0) {
      const batches: BatchView[] = [];
      for (const id of this.dirtyBatches) {
        const v = source.batchView(id);
        if (v) batches.push(v);
      }
      delta.batches = batches;
      this.dirtyBatches.clear();
    }
    if (this.removedJobs.length > 0) {
      delta.removedJobIds = this.removedJobs;
      this.removedJobs = [];
    }
    if (this.removedBatches.length > 0) {
      delta.removedBatchIds = this.removedBatches;
      this.removedBatches = [];
    }
    // With the last part of a backlog, so the order never names a job the UI has not been sent yet.
    if (this.orderChanged && !backlog) {
      delta.order = source.order();
      this.orderChanged = false;
    }
    if (this.newSamples.length > 0) {
      delta.throughput = this.newSamples;
      this.newSamples = [];
    }
    if (this.bandwidthChanged) {
      delta.bandwidthLimit = source.bandwidthLimit();
      this.bandwidthChanged = false;
    }
    this.seq = delta.seq;
    return { delta, backlog };
  }
}
