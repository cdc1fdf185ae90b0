import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HISTORY_LIMIT, JOURNAL_FILE, SNAPSHOT_FILE } from '../../main/engine/store/index';
import { encodeLine } from '../../main/engine/store/records';
import type { JobRecord } from '../../main/engine/store/types';
import { makeBatch, makeHistory, makeJob, makeProfile, storeScratch } from './helpers';

const { fresh, open, cleanup } = storeScratch();
afterEach(cleanup);

describe('store round trip', () => {
  it('starts empty with a clean recovery report and writes a versioned snapshot', async () => {
    const dir = await fresh();
    const store = await open(dir);
    expect(store.loaded.jobs.size).toBe(0);
    expect(store.loaded.recovery).toEqual({ droppedRecords: 0, movedAside: [], messages: [] });
    const header = JSON.parse((await fsp.readFile(path.join(dir, SNAPSHOT_FILE), 'utf8')).split('\n')[0]) as Record<string, unknown>;
    expect(header).toMatchObject({ t: 'header', format: 'tusk-state', schemaVersion: 1, seq: 0 });
  });

  it('persists every record kind across close and reopen', async () => {
    const dir = await fresh();
    const store = await open(dir);
    store.putProfile(makeProfile('profile-1'));
    store.putProfile(makeProfile('profile-2'));
    store.removeProfile('profile-2');
    store.putBatch(makeBatch('batch-1'));
    store.putBatch(makeBatch('batch-2'));
    store.removeBatches(['batch-2']);
    for (let i = 0; i < 5; i++) store.putJob(makeJob(i));
    store.patchJob('job-1', {
      status: 'failed',
      attempt: 3,
      lastError: { code: 'http-500', message: 'The server failed', retryable: false },
      attemptLog: [{ at: 5, attempt: 3, kind: 'failed', message: 'boom' }],
    });
    store.patchJob('job-2', { status: 'completed', offset: 1_000_002, uploadUrl: 'http://x/files/2', finishedAt: 99 });
    store.removeJobs(['job-3', 'job-4']);
    store.appendHistory(makeHistory(2));
    store.patchJob('missing', { status: 'paused' }); // harmless no-op
    await store.close();

    const again = await open(dir);
    const { loaded } = again;
    expect(loaded.recovery.messages).toEqual([]);
    expect([...loaded.profiles.keys()]).toEqual(['profile-1']);
    expect(loaded.profiles.get('profile-1')).toEqual(makeProfile('profile-1'));
    expect([...loaded.batches.keys()]).toEqual(['batch-1']);
    expect(loaded.batches.get('batch-1')).toEqual(makeBatch('batch-1'));
    expect([...loaded.jobs.keys()].sort()).toEqual(['job-0', 'job-1', 'job-2']);
    expect(loaded.jobs.get('job-0')).toEqual(JSON.parse(JSON.stringify(makeJob(0))));
    expect(loaded.jobs.get('job-1')).toMatchObject({ status: 'failed', attempt: 3, lastError: { code: 'http-500' }, attemptLog: [{ kind: 'failed' }] });
    expect(loaded.jobs.get('job-2')).toMatchObject({ status: 'completed', offset: 1_000_002, uploadUrl: 'http://x/files/2', finishedAt: 99 });
    expect(loaded.history).toEqual([makeHistory(2)]);
  });

  it('an undefined patch value clears the field', async () => {
    const dir = await fresh();
    const store = await open(dir);
    store.putJob(makeJob(1, { lastError: { code: 'x', message: 'y', retryable: true }, nextAttemptAt: 5 }));
    store.patchJob('job-1', { lastError: undefined, nextAttemptAt: undefined, status: 'uploading' });
    await store.close();
    const job = (await open(dir)).loaded.jobs.get('job-1');
    expect(job?.status).toBe('uploading');
    expect(job && 'lastError' in job).toBe(false);
    expect(job && 'nextAttemptAt' in job).toBe(false);
  });

  it('keeps its own copies: mutating what was passed in or what was loaded changes nothing on disk', async () => {
    const dir = await fresh();
    const store = await open(dir);
    const job = makeJob(1);
    store.putJob(job);
    job.status = 'completed';
    job.metadata.filename = 'changed';
    const log = [{ at: 1, attempt: 1, kind: 'started', message: 'go' }];
    store.patchJob('job-1', { attemptLog: log });
    log.push({ at: 2, attempt: 1, kind: 'sneaky', message: 'not saved' });
    await store.compact();
    await store.close();
    const again = await open(dir);
    const loaded = again.loaded.jobs.get('job-1');
    expect(loaded?.status).toBe('queued');
    expect(loaded?.metadata.filename).toBe('img-1.jpg');
    expect(loaded?.attemptLog).toHaveLength(1);
    if (loaded) loaded.status = 'failed';
    await again.compact();
    await again.close();
    expect((await open(dir)).loaded.jobs.get('job-1')?.status).toBe('queued');
  });

  it('rejects records without an id with a clear error and saves nothing', async () => {
    const dir = await fresh();
    const store = await open(dir);
    expect(() => store.putJob({ ...makeJob(1), id: '' })).toThrow(/putJob needs a non-empty string id/);
    expect(() => store.removeJobs([undefined as unknown as string])).toThrow(/removeJobs needs/);
    expect(store.pendingRecords).toBe(0);
  });

  it('refuses changes after close instead of dropping them', async () => {
    const dir = await fresh();
    const store = await open(dir);
    await store.close();
    expect(() => store.putJob(makeJob(1))).toThrow(/closed/);
    await expect(store.flush()).rejects.toThrow(/closed/);
  });

  it('writes changes in groups without flush() (the interval timer)', async () => {
    const dir = await fresh();
    const store = await open(dir, { flushIntervalMs: 5 });
    store.putJob(makeJob(1));
    expect(store.pendingRecords).toBe(1);
    for (let i = 0; i < 100 && store.pendingRecords > 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(store.pendingRecords).toBe(0);
    const text = await fsp.readFile(path.join(dir, JOURNAL_FILE), 'utf8');
    expect(text).toContain('"t":"putJob"');
    expect(text.endsWith('\n')).toBe(true);
  });

  it('bounds the history to the newest entries', async () => {
    const dir = await fresh();
    const store = await open(dir);
    const n = HISTORY_LIMIT + 2_500;
    for (let i = 0; i < n; i++) store.appendHistory(makeHistory(i));
    await store.compact();
    await store.close();
    const { history } = (await open(dir)).loaded;
    expect(history).toHaveLength(HISTORY_LIMIT);
    expect(history[0].id).toBe(`h-${n - HISTORY_LIMIT}`);
    expect(history[history.length - 1].id).toBe(`h-${n - 1}`);
  });
});

describe('compaction', () => {
  it('preserves the state, shrinks the journal, and keeps changes made while it runs', async () => {
    const dir = await fresh();
    const store = await open(dir);
    for (let i = 0; i < 2_000; i++) store.putJob(makeJob(i));
    for (let round = 0; round < 5; round++) for (let i = 0; i < 2_000; i++) store.patchJob(`job-${i}`, { offset: round * 10 + i });
    store.removeJobs(['job-0']);
    await store.flush();
    const before = store.journalBytes;
    expect(before).toBeGreaterThan(0);
    const running = store.compact();
    store.patchJob('job-1', { status: 'completed' }); // lands during the compaction
    await running;
    store.patchJob('job-2', { status: 'paused' });
    await store.flush();
    expect(store.journalBytes).toBeLessThan(before / 10);
    await store.close();
    const { jobs } = (await open(dir)).loaded;
    expect(jobs.size).toBe(1_999);
    expect(jobs.has('job-0')).toBe(false);
    expect(jobs.get('job-1')?.status).toBe('completed');
    expect(jobs.get('job-2')?.status).toBe('paused');
    expect(jobs.get('job-1999')?.offset).toBe(40 + 1999);
  });

  it('carries over exactly the journal lines newer than the snapshot, also when a group write straddles it', async () => {
    const dir = await fresh();
    const store = await open(dir, { flushIntervalMs: 1_000 });
    for (let i = 0; i < 2_000; i++) store.putJob(makeJob(i)); // s 1 … 2000
    await store.flush();
    for (let i = 0; i < 10; i++) store.patchJob(`job-${i}`, { offset: 1 }); // s 2001 … 2010, buffered: in the snapshot
    const running = store.compact();
    // s 2011 …: newer than the snapshot; the first group write holds 10 older lines and these.
    for (let i = 0; i < 500; i++) store.patchJob(`job-${i}`, { offset: 2, attempt: i });
    await store.flush();
    for (let i = 0; i < 300; i++) store.patchJob(`job-${1000 + i}`, { status: 'paused' });
    await store.flush();
    await running;
    store.patchJob('job-1999', { status: 'failed' });
    await store.close();
    const lines = (await fsp.readFile(path.join(dir, JOURNAL_FILE), 'utf8')).split('\n').filter(Boolean);
    const seqs = lines.map((l) => (JSON.parse(l) as { s: number }).s);
    expect(seqs[0]).toBe(2011);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, k) => 2011 + k));
    expect(seqs.at(-1)).toBe(2011 + 500 + 300);
    const loaded = (await open(dir)).loaded;
    expect(loaded.recovery.messages).toEqual([]);
    expect(loaded.jobs.get('job-5')).toMatchObject({ offset: 2, attempt: 5 });
    expect(loaded.jobs.get('job-700')).toMatchObject({ offset: 0 });
    expect(loaded.jobs.get('job-1200')?.status).toBe('paused');
    expect(loaded.jobs.get('job-1999')?.status).toBe('failed');
  });

  it('runs by itself when the journal passes compactAfterBytes', async () => {
    const dir = await fresh();
    const store = await open(dir, { compactAfterBytes: 64 * 1024, flushIntervalMs: 1 });
    for (let i = 0; i < 100; i++) store.putJob(makeJob(i));
    for (let k = 0; k < 3_000; k++) {
      store.patchJob(`job-${k % 100}`, { offset: k });
      if (k % 200 === 0) await store.flush();
    }
    await store.flush();
    await store.compact(); // waits for a running automatic one, if any
    expect(store.journalBytes).toBeLessThan(64 * 1024);
    await store.close();
    const { jobs } = (await open(dir)).loaded;
    expect(jobs.size).toBe(100);
    expect(jobs.get('job-99')?.offset).toBe(2999);
  });

  it('recovers when the process died between writing the snapshot and trimming the journal', async () => {
    const dir = await fresh();
    const store = await open(dir);
    for (let i = 0; i < 50; i++) store.putJob(makeJob(i));
    store.patchJob('job-3', { status: 'completed' });
    await store.flush();
    const oldJournal = await fsp.readFile(path.join(dir, JOURNAL_FILE));
    await store.compact();
    store.patchJob('job-4', { status: 'failed' });
    store.appendHistory(makeHistory(3));
    await store.close();
    // Put the untrimmed journal back, followed by the newer lines: what a crash right after the rename leaves.
    const newer = await fsp.readFile(path.join(dir, JOURNAL_FILE));
    await fsp.writeFile(path.join(dir, JOURNAL_FILE), Buffer.concat([oldJournal, newer]));
    const { loaded } = await open(dir);
    expect(loaded.recovery.messages).toEqual([]);
    expect(loaded.jobs.size).toBe(50);
    expect(loaded.jobs.get('job-3')?.status).toBe('completed');
    expect(loaded.jobs.get('job-4')?.status).toBe('failed');
    expect(loaded.history.map((h) => h.id)).toEqual(['h-3']);
  });
});

describe('live jobs (useLiveJobs)', () => {
  it('hands the loaded jobs over, keeps no copy, and compaction writes the live records (even ones ahead of the journal)', async () => {
    const dir = await fresh();
    const first = await open(dir);
    for (let i = 0; i < 300; i++) first.putJob(makeJob(i));
    await first.close();

    const store = await open(dir);
    const live = new Map<string, JobRecord>();
    store.useLiveJobs!(() => live.values());
    for (const [id, rec] of store.loaded.jobs) live.set(id, rec);
    expect(live.size).toBe(300);
    // Handed over, not copied: mutating a loaded record and patching it is what the queue does.
    const j5 = live.get('job-5')!;
    Object.assign(j5, { status: 'uploading', attempt: 1 });
    store.patchJob('job-5', { status: 'uploading', attempt: 1 });
    const added = makeJob(1000);
    live.set(added.id, added);
    store.putJob(added);
    store.removeJobs(['job-0']);
    live.delete('job-0');
    await store.flush();
    // A probe, not what a caller may do: a change never given to the store shows that compaction writes live records.
    live.get('job-250')!.notice = 'only in memory';
    const running = store.compact();
    // During the compaction: changes written to the journal while the records are being written.
    for (let i = 10; i < 200; i++) {
      live.get(`job-${i}`)!.offset = i;
      store.patchJob(`job-${i}`, { offset: i });
    }
    store.patchJob('job-0', { status: 'failed' }); // removed: not written
    await running;
    live.get('job-5')!.status = 'completed';
    store.patchJob('job-5', { status: 'completed', offset: 1_000_005 });
    live.get('job-5')!.offset = 1_000_005;
    await store.close();

    const loaded = (await open(dir)).loaded;
    expect(loaded.recovery.messages).toEqual([]);
    expect(loaded.jobs.size).toBe(300);
    expect(loaded.jobs.has('job-0')).toBe(false);
    for (const [id, rec] of live) expect(loaded.jobs.get(id)).toEqual(JSON.parse(JSON.stringify(rec)));
    expect(loaded.jobs.get('job-250')?.notice).toBe('only in memory');
    expect(loaded.jobs.get('job-5')).toMatchObject({ status: 'completed', attempt: 1, offset: 1_000_005 });
  });

  it('a history entry in the snapshot and again in the journal is restored once', async () => {
    const dir = await fresh();
    const store = await open(dir);
    store.appendHistory(makeHistory(1));
    await store.compact();
    await store.close();
    const seq = (JSON.parse((await fsp.readFile(path.join(dir, SNAPSHOT_FILE), 'utf8')).split('\n')[0]) as { seq: number }).seq;
    // What a compaction with live jobs can leave: the entry taken into the snapshot, and its journal record after it.
    await fsp.appendFile(path.join(dir, JOURNAL_FILE), encodeLine({ s: seq + 1, t: 'appendHistory', d: makeHistory(1) }));
    await fsp.appendFile(path.join(dir, JOURNAL_FILE), encodeLine({ s: seq + 2, t: 'appendHistory', d: makeHistory(2) }));
    const loaded = (await open(dir)).loaded;
    expect(loaded.history.map((h) => h.id)).toEqual(['h-1', 'h-2']);
    expect(loaded.recovery.messages).toEqual([]);
  });
});

describe('scale', () => {
  it('loads 100,000 jobs correctly', async () => {
    const dir = await fresh();
    const store = await open(dir);
    const n = 100_000;
    for (let i = 0; i < n; i++) store.putJob(makeJob(i));
    await store.compact();
    for (let i = 0; i < n; i += 3) store.patchJob(`job-${i}`, { status: 'completed', offset: 1_000_000 + i });
    store.removeJobs(['job-5', 'job-7']);
    await store.close();
    const { loaded } = await open(dir);
    expect(loaded.recovery.messages).toEqual([]);
    expect(loaded.jobs.size).toBe(n - 2);
    let completed = 0;
    for (const job of loaded.jobs.values()) if (job.status === 'completed') completed++;
    expect(completed).toBe(Math.ceil(n / 3));
    expect(loaded.jobs.get('job-99999')).toMatchObject({ status: 'completed', offset: 1_099_999, name: 'img-99999.jpg' });
    expect(loaded.jobs.get('job-99998')).toMatchObject({ status: 'queued', offset: 0 });
  });
});
