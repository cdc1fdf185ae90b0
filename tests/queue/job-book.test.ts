/** JobBook on its own: loading a saved queue, the counters kept by `update`, batches finishing and being dropped. */
import { describe, expect, it } from 'vitest';
import type { EngineNotification } from '../../main/engine/engine-types';
import { QueueEvents } from '../../main/engine/queue/events';
import { JobBook } from '../../main/engine/queue/job-book';
import { MemoryQueueStore } from '../../main/engine/queue/memory-store';
import { makeProfile } from '../../main/engine/profiles';
import type { BatchRecord, JobRecord } from '../../main/engine/store/types';

const profile = makeProfile({ id: 'p1', name: 'test', endpoint: 'http://127.0.0.1:1/files/', metadata: { project: 'x' } });

function savedJob(id: string, patch: Partial<JobRecord>): JobRecord {
  return {
    id,
    profileId: 'p1',
    path: `/data/${id}.bin`,
    name: `${id}.bin`,
    size: 1000,
    mtimeMs: 1,
    metadata: {},
    status: 'queued',
    priority: 0,
    order: 1,
    offset: 0,
    attempt: 0,
    createdAt: 1,
    attemptLog: [],
    ...patch,
  };
}

function bookOver(store: MemoryQueueStore): { book: JobBook; notes: EngineNotification[]; recovery: string[] } {
  const recovery: string[] = [];
  const events = new QueueEvents(
    { totals: () => ({}) as never, jobView: () => undefined, batchView: () => undefined, order: () => [], bandwidthLimit: () => 0, status: () => ({}) as never, queuedCount: () => 0 },
    60_000,
    recovery,
  );
  const notes: EngineNotification[] = [];
  events.onNotification((n) => notes.push(n));
  const book = new JobBook(store, events, () => 42, () => 0, recovery);
  return { book, notes, recovery };
}

describe('JobBook', () => {
  it('loads a saved queue: cut-short jobs are queued again, counters and run order restored, an interrupted folder add reported', () => {
    const batch: BatchRecord = { id: 'b1', profileId: 'p1', name: 'photos', rootPath: '/data/photos', problems: [], createdAt: 1, scanning: { ignorePatterns: [], followSymlinks: false } };
    const store = new MemoryQueueStore(':memory:', {
      jobs: new Map([
        ['a', savedJob('a', { status: 'uploading', offset: 400, order: 3 })],
        ['b', savedJob('b', { status: 'retrying', nextAttemptAt: 99, order: 1, priority: 5 })],
        ['c', savedJob('c', { status: 'completed', offset: 1000, order: 2, batchId: 'b1' })],
        ['d', savedJob('d', { status: 'queued', order: 4, batchId: 'gone' })],
      ]),
      batches: new Map([['b1', batch]]),
      recovery: { droppedRecords: 1, movedAside: [], messages: ['1 journal line could not be read'] },
    });
    const { book, recovery } = bookOver(store);
    expect(book.jobs.get('a')!.rec.status).toBe('queued');
    expect(book.jobs.get('a')!.sent).toBe(400);
    expect(book.jobs.get('b')!.rec.status).toBe('queued');
    expect(book.jobs.get('b')!.rec.nextAttemptAt).toBeUndefined();
    expect(book.jobs.get('d')!.rec.batchId).toBeUndefined(); // its batch is not in the store
    expect(book.total).toMatchObject({ jobs: 4, queued: 3, completed: 1, size: 4000, offset: 1400 });
    expect(book.sortedIds()).toEqual(['b', 'c', 'a', 'd']); // priority first, then order
    expect(book.interruptedAdds).toEqual(['b1']);
    expect(recovery[0]).toBe('1 journal line could not be read');
    expect(recovery[1]).toMatch(/photos/);
  });

  it('keeps the counters exact through every update, journals each change, and numbers new jobs after the saved ones', () => {
    const store = new MemoryQueueStore(':memory:', { jobs: new Map([['a', savedJob('a', { order: 7 })]]) });
    const { book } = bookOver(store);
    const rec = book.newJob('/data/new file.txt', 'new file.txt', undefined, undefined, 500, 1, profile, 42);
    expect(rec.order).toBe(8);
    expect(rec.metadata).toEqual({ project: 'x', filename: 'new file.txt', filetype: 'text/plain' });
    expect(store.state.jobs.get(rec.id)).toMatchObject({ status: 'queued', size: 500 });
    const live = book.jobs.get(rec.id)!;
    book.update(live, { status: 'uploading' });
    book.setSent(live, 200);
    expect(book.total).toMatchObject({ jobs: 2, queued: 1, uploading: 1, size: 1500, offset: 200 });
    book.log(live, 'retry', 'The connection was reset.', 200, 1000);
    book.update(live, { status: 'retrying', nextAttemptAt: 1042 });
    expect(store.state.jobs.get(rec.id)).toMatchObject({ status: 'retrying', nextAttemptAt: 1042 });
    expect(store.state.jobs.get(rec.id)!.attemptLog).toEqual([{ at: 42, attempt: 0, kind: 'retry', message: 'The connection was reset.', offset: 200, delayMs: 1000 }]);
    book.update(live, { status: 'cancelled', nextAttemptAt: undefined, offset: 0 }, 0);
    expect(book.total).toMatchObject({ jobs: 2, cancelled: 1, queued: 1, uploading: 0, retrying: 0, size: 1000, offset: 0 }); // a cancelled job's bytes are left out
    expect(store.state.jobs.get(rec.id)!.nextAttemptAt).toBeUndefined();
  });

  it('tells a batch finished once, when its last job settles with one completed; dropping its jobs drops it', () => {
    const { book, notes } = bookOver(new MemoryQueueStore());
    book.addBatch({ id: 'b1', profileId: 'p1', name: 'photos', rootPath: '/data/photos', problems: [], createdAt: 1 });
    const ids = [0, 1].map((i) => book.newJob(`/data/photos/${i}.jpg`, `${i}.jpg`, 'b1', `photos/${i}.jpg`, 10, 1, profile, 42).id);
    const [a, b] = ids.map((id) => book.jobs.get(id)!);
    book.update(a!, { status: 'completed' }, 10);
    expect(notes).toEqual([]);
    book.update(b!, { status: 'failed' });
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatchObject({ kind: 'batch-finished', batch: { id: 'b1', name: 'photos' } });
    book.update(b!, { status: 'failed' });
    expect(notes).toHaveLength(1); // once
    book.update(b!, { status: 'queued' }); // retried: the batch is open again, and tells again when it settles
    book.update(b!, { status: 'completed' }, 10);
    expect(notes).toHaveLength(2);
    book.dropJobs([a!]);
    expect(book.batches.has('b1')).toBe(true);
    book.dropJobs([b!]);
    expect(book.batches.has('b1')).toBe(false);
    expect(book.jobs.size).toBe(0);
    expect(book.total.jobs).toBe(0);
  });

  it('select names what a target means, and says so for an id that is not in the queue', () => {
    const { book } = bookOver(new MemoryQueueStore(':memory:', { jobs: new Map([['a', savedJob('a', {})]]) }));
    expect(book.select({ kind: 'all' }).map((l) => l.rec.id)).toEqual(['a']);
    expect(() => book.select({ kind: 'job', id: 'zz' })).toThrow(/No job with id "zz" in the queue\. Refresh the list/);
    expect(() => book.select({ kind: 'batch', id: 'zz' })).toThrow(/No batch with id "zz"/);
  });
});
