import { describe, expect, it } from 'vitest';
import type { JobView, QueueSnapshot } from '../../shared/types';
import { applyDelta, batchMembers, buildRows, emptyTotals, fromSnapshot, initialQueueState, THROUGHPUT_WINDOW, type QueueState } from './queue';

const job = (id: string, extra: Partial<JobView> = {}): JobView => ({
  id,
  profileId: 'p',
  path: `/x/${id}`,
  name: id,
  size: 100,
  offset: 0,
  status: 'queued',
  priority: 0,
  order: Number(id.replace(/\D/g, '')) || 0,
  speed: 0,
  attempt: 0,
  createdAt: 0,
  ...extra,
});

const snapshot = (jobs: JobView[], seq = 5): QueueSnapshot => ({
  jobs,
  batches: [],
  totals: emptyTotals,
  bandwidthLimit: 0,
  throughput: [],
  seq,
});

function apply(state: QueueState, delta: Parameters<typeof applyDelta>[1]): QueueState {
  const next = applyDelta(state, delta);
  return next ? { ...state, ...next } : state;
}

describe('queue store reducer', () => {
  it('orders by priority, then order', () => {
    const s = fromSnapshot(snapshot([job('j3'), job('j1'), job('j2', { priority: 5 })]));
    expect(s.order).toEqual(['j2', 'j1', 'j3']);
  });

  it('drops stale deltas and deltas before the snapshot', () => {
    expect(applyDelta(initialQueueState, { seq: 1, jobs: [job('j1')] })).toBeUndefined();
    const s = fromSnapshot(snapshot([job('j1')], 5));
    expect(applyDelta(s, { seq: 5, jobs: [job('j1', { offset: 50 })] })).toBeUndefined();
    expect(applyDelta(s, { seq: 4, jobs: [job('j1', { offset: 50 })] })).toBeUndefined();
    expect(apply(s, { seq: 6, jobs: [job('j1', { offset: 50 })] }).jobs.j1.offset).toBe(50);
  });

  it('keeps the identity of untouched jobs and of the order on progress', () => {
    const s = fromSnapshot(snapshot([job('j1'), job('j2')]));
    const n = apply(s, { seq: 6, jobs: [job('j1', { offset: 10, status: 'uploading' })] });
    expect(n.jobs.j2).toBe(s.jobs.j2);
    expect(n.jobs.j1).not.toBe(s.jobs.j1);
    expect(n.order).toBe(s.order);
    expect(n.batchOf).toBe(s.batchOf);
  });

  it('re-sorts on new, removed or re-prioritised jobs and tracks batch membership', () => {
    let s = fromSnapshot(snapshot([job('j1'), job('j2')]));
    s = apply(s, { seq: 6, jobs: [job('j3', { batchId: 'b1' })] });
    expect(s.order).toEqual(['j1', 'j2', 'j3']);
    expect(s.batchOf).toEqual({ j3: 'b1' });
    s = apply(s, { seq: 7, jobs: [job('j3', { batchId: 'b1', priority: 1 })] });
    expect(s.order).toEqual(['j3', 'j1', 'j2']);
    s = apply(s, { seq: 8, removedJobIds: ['j1', 'missing'] });
    expect(s.order).toEqual(['j3', 'j2']);
    expect(s.jobs.j1).toBeUndefined();
  });

  it('takes an explicit order, adding jobs it does not mention', () => {
    let s = fromSnapshot(snapshot([job('j1'), job('j2')]));
    s = apply(s, { seq: 6, order: ['j2', 'j1'] });
    expect(s.order).toEqual(['j2', 'j1']);
  });

  it('applies batches, totals, limit and throughput, keeping a bounded window', () => {
    let s = fromSnapshot(snapshot([]));
    const samples = Array.from({ length: THROUGHPUT_WINDOW + 20 }, (_, i) => ({ at: i * 1000, bytesPerSecond: i }));
    s = apply(s, { seq: 6, throughput: samples, bandwidthLimit: 1024, totals: { ...emptyTotals, filesTotal: 3 } });
    expect(s.throughput).toHaveLength(THROUGHPUT_WINDOW);
    expect(s.throughput[s.throughput.length - 1].bytesPerSecond).toBe(THROUGHPUT_WINDOW + 19);
    expect(s.bandwidthLimit).toBe(1024);
    expect(s.totals.filesTotal).toBe(3);
    // A resent second replaces the old one instead of duplicating it.
    const last = s.throughput[s.throughput.length - 1];
    s = apply(s, { seq: 7, throughput: [{ at: last.at, bytesPerSecond: 1 }] });
    expect(s.throughput.filter((x) => x.at === last.at)).toEqual([{ at: last.at, bytesPerSecond: 1 }]);
  });
});

describe('buildRows', () => {
  const order = ['a', 'b1', 'c', 'b2', 'd'];
  const batchOf = (id: string): string | undefined => (id.startsWith('b') ? 'B' : undefined);

  it('places a batch once, where its first job stands, collapsed by default', () => {
    expect(buildRows(order, batchOf, new Set())).toEqual([
      { kind: 'job', id: 'a', nested: false },
      { kind: 'batch', id: 'B' },
      { kind: 'job', id: 'c', nested: false },
      { kind: 'job', id: 'd', nested: false },
    ]);
  });

  it('lists members under an expanded batch', () => {
    expect(buildRows(order, batchOf, new Set(['B']))).toEqual([
      { kind: 'job', id: 'a', nested: false },
      { kind: 'batch', id: 'B' },
      { kind: 'job', id: 'b1', nested: true },
      { kind: 'job', id: 'b2', nested: true },
      { kind: 'job', id: 'c', nested: false },
      { kind: 'job', id: 'd', nested: false },
    ]);
  });

  it('groups 10,000 jobs with one header per batch', () => {
    const big = Array.from({ length: 10_000 }, (_, i) => `j${i}`);
    const rows = buildRows(big, (id) => (Number(id.slice(1)) % 2 ? 'odd' : undefined), new Set(['odd']));
    expect(rows).toHaveLength(10_001);
    expect(rows.filter((r) => r.kind === 'batch')).toEqual([{ kind: 'batch', id: 'odd' }]);
    expect(rows[1]).toEqual({ kind: 'batch', id: 'odd' });
  });
});

describe('batchMembers', () => {
  it('lists each folder’s files once per batch map and recomputes when membership changes', () => {
    let s = fromSnapshot(snapshot([job('j1', { batchId: 'b1' }), job('j2', { batchId: 'b1' }), job('j3')]));
    const first = batchMembers(s.batchOf);
    expect(first.get('b1')?.sort()).toEqual(['j1', 'j2']);
    expect(batchMembers(s.batchOf)).toBe(first);
    s = apply(s, { seq: 6, jobs: [job('j4', { batchId: 'b1' })] });
    expect(batchMembers(s.batchOf).get('b1')?.sort()).toEqual(['j1', 'j2', 'j4']);
  });
});
