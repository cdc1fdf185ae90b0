/**
 * The queue's events: deltas coalesced per interval, the status after each, and notifications told once when the
 * queue goes idle (QueueEvents on its own, then through a real engine uploading a folder).
 */
import { describe, expect, it } from 'vitest';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { QueueDelta } from '../../shared/types';
import type { EngineNotification, EngineStatus } from '../../main/engine/engine-types';
import { QueueEvents, type EventSource } from '../../main/engine/queue/events';
import { startTusNodeServer } from '../servers/tus-node';
import { sha256File, writeRandomFile } from '../helpers/files';
import { waitFor, waitJobsDone, useQueueEnv } from './helpers';

/** A queue as QueueEvents sees it: `active` and `queued` are set by the test. */
function fakeQueue(): EventSource & { active: number; queued: number } {
  const q = {
    active: 0,
    queued: 0,
    totals: () => ({ jobs: 0, completed: 0, failed: 0, cancelled: 0, uploading: q.active, retrying: 0, queued: q.queued, paused: 0, size: 0, offset: 0, bytesPerSecond: 0 }) as never,
    jobView: () => undefined,
    batchView: () => undefined,
    order: () => [],
    bandwidthLimit: () => 0,
    status: (): EngineStatus => ({ totals: q.totals(), active: q.active, paused: false }),
    queuedCount: () => q.queued,
  };
  return q;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('QueueEvents', () => {
  it('coalesces changes made within one interval into one delta, and sends the status after it', async () => {
    const q = fakeQueue();
    const events = new QueueEvents(q, 50, []);
    const deltas: QueueDelta[] = [];
    const statuses: EngineStatus[] = [];
    events.onDelta((d) => deltas.push(d));
    events.onStatus((s) => statuses.push(s));
    for (let i = 0; i < 100; i++) {
      events.changes.dirtyJobs.add(`j${i}`);
      events.schedule();
    }
    await sleep(20);
    expect(deltas).toHaveLength(1); // the first goes out at once (nothing was sent in the last interval)
    events.changes.orderChanged = true;
    events.schedule();
    events.schedule();
    await sleep(10);
    expect(deltas).toHaveLength(1); // within the interval: held
    await sleep(80);
    expect(deltas).toHaveLength(2);
    expect(deltas[1]!.seq).toBe(deltas[0]!.seq + 1);
    expect(statuses).toHaveLength(2);
    events.close();
  });

  it('tells finished uploads and failures once, when the queue goes idle, with the first failure as the reason', async () => {
    const q = fakeQueue();
    const events = new QueueEvents(q, 5, []);
    const notes: EngineNotification[] = [];
    events.onNotification((n) => notes.push(n));
    q.active = 0;
    q.queued = 3;
    events.jobFinished(100);
    events.jobFinished(250);
    events.jobFailed('a.bin: the server refused it');
    events.jobFailed('b.bin: also refused');
    events.schedule();
    await sleep(30);
    expect(notes).toEqual([]); // between two jobs: more are waiting to start
    q.active = 2;
    q.queued = 0;
    events.schedule();
    await sleep(30);
    expect(notes).toEqual([]); // the last ones still uploading
    q.active = 0;
    events.schedule();
    await sleep(30);
    expect(notes).toEqual([
      { kind: 'jobs-finished', count: 2, bytes: 350 },
      { kind: 'failures', count: 2, firstReason: 'a.bin: the server refused it' },
    ]);
    events.schedule();
    await sleep(30);
    expect(notes).toHaveLength(2); // counted anew after being told
    events.close();
  });

  it('tells state that could not be restored to the first notification listener only', async () => {
    const events = new QueueEvents(fakeQueue(), 5, ['the journal had 2 unreadable lines']);
    const first: EngineNotification[] = [];
    const second: EngineNotification[] = [];
    events.onNotification((n) => first.push(n));
    events.onNotification((n) => second.push(n));
    await sleep(0);
    expect(first).toEqual([{ kind: 'failures', count: 1, firstReason: 'Some saved queue state could not be read: the journal had 2 unreadable lines' }]);
    expect(second).toEqual([]);
    events.close();
  });

  it('without delta listeners skips building the delta but still advances seq and sends the status', async () => {
    const q = fakeQueue();
    const events = new QueueEvents(q, 5, []);
    const statuses: EngineStatus[] = [];
    events.onStatus((s) => statuses.push(s));
    events.changes.dirtyJobs.add('j1');
    const seq = events.changes.seq;
    events.schedule();
    await sleep(20);
    expect(events.changes.seq).toBe(seq + 1);
    expect(events.changes.dirtyJobs.size).toBe(0);
    expect(statuses).toHaveLength(1);
    events.close();
  });

  it('sends what is pending on close, and nothing after', async () => {
    const events = new QueueEvents(fakeQueue(), 10_000, []);
    const deltas: QueueDelta[] = [];
    events.onDelta((d) => deltas.push(d));
    events.changes.dirtyJobs.add('j1');
    events.schedule(); // on a timer (up to 10 s away)
    expect(deltas).toHaveLength(0);
    events.close();
    expect(deltas).toHaveLength(1); // sent by close itself, synchronously
    events.changes.dirtyJobs.add('j2');
    events.schedule();
    await sleep(20);
    expect(deltas).toHaveLength(1);
    expect(events.changes.dirtyJobs.has('j2')).toBe(true); // kept, never sent: the queue is closed
  });
});

describe('queue notifications through the engine', () => {
  const env = useQueueEnv('tusk-queue-events-', startTusNodeServer, { scope: 'all' });

  it('a folder of three files: one batch-finished and one jobs-finished with the count and bytes, nothing per file', async () => {
    const folder = join(env.dir, 'photos');
    await mkdir(folder);
    const sizes = [70_000, 300_000, 1_000];
    for (let i = 0; i < sizes.length; i++) await writeRandomFile(join(folder, `p${i}.bin`), sizes[i]!, i + 1);
    const { engine } = await env.start();
    const notes: EngineNotification[] = [];
    engine.onNotification((n) => notes.push(n));
    const { jobIds } = await engine.api.addPaths({ paths: [folder] });
    const jobs = await waitJobsDone(engine, jobIds);
    expect(jobs.map((j) => j.status)).toEqual(['completed', 'completed', 'completed']);
    for (const j of jobs) expect(await env.server.sha256(j.uploadUrl!)).toBe(await sha256File(j.path));
    await waitFor('the idle notification', () => notes.find((n) => n.kind === 'jobs-finished'));
    expect(notes.filter((n) => n.kind === 'jobs-finished')).toEqual([{ kind: 'jobs-finished', count: 3, bytes: 371_000 }]);
    const batches = notes.filter((n) => n.kind === 'batch-finished');
    expect(batches).toHaveLength(1);
    expect(batches[0]!.kind === 'batch-finished' && batches[0]!.batch.name).toBe('photos');
    expect(notes.filter((n) => n.kind === 'failures')).toEqual([]);
  });
});
