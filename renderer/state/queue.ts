/**
 * The queue as the window sees it: one zustand store keyed by job id. The snapshot is pulled once, then each pushed
 * `QueueDelta` is applied with ONE `set` (stale `seq`s are dropped). Rows select only their own entry, so one job's
 * progress re-renders one row; `order` (and therefore the list) changes only when jobs come, go or move.
 */
import { create } from 'zustand';
import type { BatchView, JobView, QueueDelta, QueueSnapshot, QueueTotals, ThroughputSample } from '../../shared/types';

/** How many seconds of throughput the chart keeps. */
export const THROUGHPUT_WINDOW = 600;

/** The queue state. */
export interface QueueState {
  loaded: boolean;
  seq: number;
  jobs: Record<string, JobView>;
  batches: Record<string, BatchView>;
  /** Job ids in queue order (priority desc, then order). Replaced only when membership or order changes. */
  order: string[];
  /** Job id → batch id for batch members. Replaced only when membership changes, so the list can depend on it. */
  batchOf: Record<string, string>;
  totals: QueueTotals;
  bandwidthLimit: number;
  throughput: ThroughputSample[];
}

/** Totals of an empty queue. */
export const emptyTotals: QueueTotals = {
  filesTotal: 0,
  filesDone: 0,
  filesFailed: 0,
  filesActive: 0,
  bytesTotal: 0,
  bytesDone: 0,
  speed: 0,
};

/** The state before the snapshot arrives. */
export const initialQueueState: QueueState = {
  loaded: false,
  seq: -1,
  jobs: {},
  batches: {},
  order: [],
  batchOf: {},
  totals: emptyTotals,
  bandwidthLimit: 0,
  throughput: [],
};

function byQueueOrder(jobs: Record<string, JobView>) {
  return (a: string, b: string): number => {
    const ja = jobs[a];
    const jb = jobs[b];
    if (!ja || !jb) return 0;
    return jb.priority - ja.priority || ja.order - jb.order;
  };
}

function batchMap(jobs: Record<string, JobView>): Record<string, string> {
  const map: Record<string, string> = {};
  for (const id in jobs) {
    const b = jobs[id].batchId;
    if (b !== undefined) map[id] = b;
  }
  return map;
}

function mergeThroughput(old: ThroughputSample[], fresh: ThroughputSample[]): ThroughputSample[] {
  if (fresh.length === 0) return old;
  const last = old.length > 0 ? old[old.length - 1].at : -Infinity;
  // Samples are per second and arrive in order; a resent second replaces the old one.
  const kept = fresh[0].at <= last ? old.filter((s) => s.at < fresh[0].at) : old;
  const merged = kept.concat(fresh);
  return merged.length > THROUGHPUT_WINDOW ? merged.slice(merged.length - THROUGHPUT_WINDOW) : merged;
}

/** The state made from a snapshot. */
export function fromSnapshot(snapshot: QueueSnapshot): QueueState {
  const jobs: Record<string, JobView> = {};
  for (const job of snapshot.jobs) jobs[job.id] = job;
  const batches: Record<string, BatchView> = {};
  for (const batch of snapshot.batches) batches[batch.id] = batch;
  return {
    loaded: true,
    seq: snapshot.seq,
    jobs,
    batches,
    order: Object.keys(jobs).sort(byQueueOrder(jobs)),
    batchOf: batchMap(jobs),
    totals: snapshot.totals,
    bandwidthLimit: snapshot.bandwidthLimit,
    throughput: mergeThroughput([], snapshot.throughput),
  };
}

/**
 * The state after one delta, or `undefined` when the delta is stale (its `seq` is not newer). Unchanged parts keep
 * their identity so zustand selectors of untouched rows do not fire.
 */
export function applyDelta(state: QueueState, delta: QueueDelta): Partial<QueueState> | undefined {
  if (!state.loaded || delta.seq <= state.seq) return undefined;
  const next: Partial<QueueState> = { seq: delta.seq };
  let jobs = state.jobs;
  let reorder = false;
  let membership = false;
  if (delta.jobs?.length || delta.removedJobIds?.length) {
    jobs = { ...state.jobs };
    for (const job of delta.jobs ?? []) {
      const prev = jobs[job.id];
      if (!prev || prev.batchId !== job.batchId) membership = true;
      if (!prev) reorder = true;
      else if (prev.priority !== job.priority || prev.order !== job.order) reorder = true;
      jobs[job.id] = job;
    }
    for (const id of delta.removedJobIds ?? []) {
      if (jobs[id]) {
        delete jobs[id];
        membership = true;
      }
    }
    next.jobs = jobs;
    if (membership) next.batchOf = batchMap(jobs);
  }
  if (delta.order) {
    next.order = delta.order.filter((id) => jobs[id] !== undefined);
    // Jobs the order does not mention (added in the same delta) go where their priority/order puts them.
    if (next.order.length !== Object.keys(jobs).length) next.order = Object.keys(jobs).sort(byQueueOrder(jobs));
  } else if (membership || reorder) {
    next.order = Object.keys(jobs).sort(byQueueOrder(jobs));
  }
  if (delta.batches?.length || delta.removedBatchIds?.length) {
    const batches = { ...state.batches };
    for (const batch of delta.batches ?? []) batches[batch.id] = batch;
    for (const id of delta.removedBatchIds ?? []) delete batches[id];
    next.batches = batches;
  }
  if (delta.totals) next.totals = delta.totals;
  if (delta.bandwidthLimit !== undefined) next.bandwidthLimit = delta.bandwidthLimit;
  if (delta.throughput?.length) next.throughput = mergeThroughput(state.throughput, delta.throughput);
  return next;
}

/** The queue store plus its two mutations. */
export interface QueueStore extends QueueState {
  loadSnapshot(snapshot: QueueSnapshot): void;
  applyDelta(delta: QueueDelta): void;
}

/** The one queue store of the window. */
export const useQueue = create<QueueStore>()((set) => ({
  ...initialQueueState,
  loadSnapshot: (snapshot) => set(fromSnapshot(snapshot)),
  applyDelta: (delta) =>
    set((state) => {
      const next = applyDelta(state, delta);
      return next ?? state;
    }),
}));

/** One row of the virtual list: a batch header or a job (inside an expanded batch, `nested`). */
export type DisplayRow = { kind: 'batch'; id: string } | { kind: 'job'; id: string; nested: boolean };

/**
 * The list's rows: each batch appears once, where its first job stands in the queue order, followed by its jobs when
 * expanded. Depends on `order`, batch membership and `expanded` only — not on progress.
 */
export function buildRows(
  order: string[],
  batchOf: (jobId: string) => string | undefined,
  expanded: ReadonlySet<string>,
  filter?: (jobId: string) => boolean,
): DisplayRow[] {
  const rows: DisplayRow[] = [];
  const members = new Map<string, string[]>();
  for (const id of order) {
    if (filter && !filter(id)) continue;
    const batchId = batchOf(id);
    if (batchId === undefined) continue;
    let list = members.get(batchId);
    if (!list) {
      list = [];
      members.set(batchId, list);
    }
    list.push(id);
  }
  const emitted = new Set<string>();
  for (const id of order) {
    if (filter && !filter(id)) continue;
    const batchId = batchOf(id);
    if (batchId === undefined) {
      rows.push({ kind: 'job', id, nested: false });
      continue;
    }
    if (emitted.has(batchId)) continue;
    emitted.add(batchId);
    rows.push({ kind: 'batch', id: batchId });
    if (expanded.has(batchId)) for (const m of members.get(batchId) ?? []) rows.push({ kind: 'job', id: m, nested: true });
  }
  return rows;
}

const membersCache = new WeakMap<Record<string, string>, Map<string, string[]>>();

/**
 * Batch id → member job ids, computed once per `batchOf` (which is replaced only when membership changes), so a
 * folder row can read its members' priorities on every delta without scanning every job.
 */
export function batchMembers(batchOf: Record<string, string>): Map<string, string[]> {
  let map = membersCache.get(batchOf);
  if (!map) {
    map = new Map();
    for (const id in batchOf) {
      const b = batchOf[id];
      const list = map.get(b);
      if (list) list.push(id);
      else map.set(b, [id]);
    }
    membersCache.set(batchOf, map);
  }
  return map;
}
