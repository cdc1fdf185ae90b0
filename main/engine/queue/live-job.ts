/** The in-memory side of a job: its durable record plus what only this process knows while it runs. */
import type { JobRecord } from '../store/types';
import type { SpeedMeter } from './speed';

/** Why a running upload was stopped: decides what its cleanup does (a stop is not a failure). */
export type StopReason = 'pause' | 'cancel' | 'suspend' | 'close' | 'remove';

/** One job of the queue as the queue holds it (the record is shared with the store, see `useLiveJobs`). */
export interface LiveJob {
  rec: JobRecord;
  /** Bytes sent including in flight (what the UI shows). */
  sent: number;
  /** Only while running: a queued job has no speed, and 100,000 of them need no meter each. */
  speed?: SpeedMeter;
  controller?: AbortController;
  running?: Promise<void>;
  stopReason?: StopReason;
  timer?: NodeJS.Timeout;
  failStreak: number;
  /** Changes made in memory but not journaled yet: they ride in this job's next journal record (see `persist`). */
  deferred?: Partial<JobRecord>;
  serverOffset?: number;
  expiresAt?: number;
}

/** Stops a job's pending retry countdown, if any. */
export function clearRetryTimer(live: LiveJob): void {
  if (live.timer) clearTimeout(live.timer);
  live.timer = undefined;
}
