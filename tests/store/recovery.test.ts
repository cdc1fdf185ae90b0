import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { JOURNAL_FILE, SNAPSHOT_FILE, openStore } from '../../main/engine/store/index';
import { encodeLine } from '../../main/engine/store/records';
import { exited, firstLine, makeJob, spawnChild, storeScratch } from './helpers';

const { fresh, open, stores, cleanup } = storeScratch({ now: () => Date.UTC(2025, 0, 31, 12) });
afterEach(cleanup);

/** A state dir whose journal holds 10 jobs (job-0..9), job-1 patched to completed. */
async function seeded(): Promise<string> {
  const dir = await fresh();
  const store = await open(dir);
  for (let i = 0; i < 10; i++) store.putJob(makeJob(i));
  store.patchJob('job-1', { status: 'completed' });
  await store.close();
  stores.splice(stores.indexOf(store), 1);
  return dir;
}

function journalLines(text: string): string[] {
  return text.split('\n').filter((l) => l.length > 0);
}

describe('crash and corruption recovery', () => {
  it('keeps everything flushed before a kill -9 of the writing process', async () => {
    const dir = await fresh();
    const child = spawnChild('crash', dir, 3_000);
    expect(await firstLine(child)).toBe('flushed 3000');
    expect(await exited(child)).toBe('SIGKILL');
    const { loaded } = await open(dir);
    // Changes after the flush may or may not have reached the disk; flushed ones must all be there.
    expect(loaded.jobs.size).toBeGreaterThanOrEqual(3_000);
    for (let i = 0; i < 3_000; i++) {
      const job = loaded.jobs.get(`job-${i}`);
      expect(job?.status).toBe(i % 2 === 0 ? 'completed' : 'queued');
      if (i % 2 === 0) expect(job?.offset).toBe(1_000_000 + i);
    }
    // The dead child's lock was stale and taken over.
    expect(loaded.recovery.droppedRecords).toBeLessThanOrEqual(1);
  });

  it('ignores a torn last line, says so, and appends cleanly afterwards', async () => {
    const dir = await seeded();
    const journalPath = path.join(dir, JOURNAL_FILE);
    const torn = encodeLine({ s: 12, t: 'patchJob', id: 'job-2', d: { status: 'completed' } }).slice(0, 30);
    await fsp.appendFile(journalPath, torn);
    const store = await open(dir);
    expect(store.loaded.jobs.size).toBe(10);
    expect(store.loaded.jobs.get('job-1')?.status).toBe('completed');
    expect(store.loaded.jobs.get('job-2')?.status).toBe('queued');
    expect(store.loaded.recovery.droppedRecords).toBe(1);
    expect(store.loaded.recovery.messages.join(' ')).toMatch(/only partly written \(30 bytes\).*every complete change before it was kept/);
    store.patchJob('job-3', { status: 'paused' });
    await store.close();
    const again = await open(dir);
    expect(again.loaded.recovery.messages).toEqual([]);
    expect(again.loaded.jobs.get('job-3')?.status).toBe('paused');
  });

  it('treats a zero-filled tail (power loss) as torn', async () => {
    const dir = await seeded();
    await fsp.appendFile(path.join(dir, JOURNAL_FILE), Buffer.alloc(4096));
    const store = await open(dir);
    expect(store.loaded.jobs.size).toBe(10);
    expect(store.loaded.recovery.droppedRecords).toBe(1);
  });

  it('keeps every good line before and after garbage in the middle, and copies the journal aside', async () => {
    const dir = await seeded();
    const journalPath = path.join(dir, JOURNAL_FILE);
    const lines = journalLines(await fsp.readFile(journalPath, 'utf8'));
    expect(lines).toHaveLength(11);
    const original = lines.join('\n') + '\n';
    // Flip one character inside line 4 (job-3) and put plain garbage after line 6.
    lines[3] = lines[3].replace('img-3.jpg', 'img-X.jpg');
    lines.splice(6, 0, 'this is not json at all');
    const damaged = lines.join('\n') + '\n';
    await fsp.writeFile(journalPath, damaged);
    const store = await open(dir);
    const { recovery, jobs } = store.loaded;
    expect(jobs.size).toBe(9);
    expect(jobs.has('job-3')).toBe(false);
    expect(jobs.get('job-9')).toBeDefined();
    expect(jobs.get('job-1')?.status).toBe('completed');
    expect(recovery.droppedRecords).toBe(2);
    expect(recovery.movedAside).toHaveLength(1);
    expect(path.basename(recovery.movedAside[0])).toMatch(/^journal\.corrupt-2025-01-31T12-00-00-000Z$/);
    expect(await fsp.readFile(recovery.movedAside[0], 'utf8')).toBe(damaged);
    expect(recovery.messages.join(' ')).toMatch(/2 lines of .* could not be read.*1 change is missing.*copied to/);
    expect(original).not.toBe(damaged);
    await store.close();
    // The rewrite left clean files: no new complaints.
    const again = await open(dir);
    expect(again.loaded.recovery.messages).toEqual([]);
    expect(again.loaded.jobs.size).toBe(9);
  });

  it('salvages a corrupt snapshot, moves it aside and replays the journal on top', async () => {
    const dir = await fresh();
    const store = await open(dir);
    for (let i = 0; i < 20; i++) store.putJob(makeJob(i));
    await store.compact();
    store.patchJob('job-5', { status: 'completed' });
    store.putJob(makeJob(20));
    await store.close();
    stores.splice(stores.indexOf(store), 1);
    const snapshotPath = path.join(dir, SNAPSHOT_FILE);
    const lines = journalLines(await fsp.readFile(snapshotPath, 'utf8'));
    lines[3] = lines[3].slice(0, 40) + '#' + lines[3].slice(41); // damage one job line
    await fsp.writeFile(snapshotPath, lines.slice(0, -3).join('\n') + '\n'); // and cut the file short
    const again = await open(dir);
    const { recovery, jobs } = again.loaded;
    expect(recovery.movedAside.map((p) => path.basename(p))).toEqual(['snapshot.corrupt-2025-01-31T12-00-00-000Z']);
    expect(recovery.messages.join(' ')).toMatch(/snapshot file .* is damaged \(1 unreadable line, no end marker/);
    expect(recovery.droppedRecords).toBeGreaterThanOrEqual(1);
    // Lines 1 (header) and 2.. are jobs 0..; line index 3 is job-2; the last 3 lines (job-18, job-19, end) were cut.
    expect(jobs.has('job-2')).toBe(false);
    expect(jobs.has('job-19')).toBe(false);
    expect(jobs.get('job-5')?.status).toBe('completed');
    expect(jobs.get('job-20')).toBeDefined();
    expect(jobs.size).toBe(21 - 3);
    await again.close();
    expect((await open(dir)).loaded.recovery.messages).toEqual([]);
  });

  it('rebuilds from the journal alone when the snapshot is missing, and says so', async () => {
    const dir = await seeded();
    await fsp.rm(path.join(dir, SNAPSHOT_FILE));
    const store = await open(dir);
    expect(store.loaded.jobs.size).toBe(10);
    expect(store.loaded.recovery.messages.join(' ')).toMatch(/snapshot file .* is missing/);
  });

  it('refuses a state directory written by a newer schema and changes nothing', async () => {
    const dir = await fresh();
    const header = encodeLine({ t: 'header', format: 'tusk-state', schemaVersion: 99, seq: 0 });
    await fsp.writeFile(path.join(dir, SNAPSHOT_FILE), header + encodeLine({ t: 'end', seq: 0, records: 0 }));
    await expect(openStore(dir)).rejects.toThrow(/newer Tusk \(state schema v99.*Update Tusk/);
    expect(await fsp.readFile(path.join(dir, SNAPSHOT_FILE), 'utf8')).toBe(header + encodeLine({ t: 'end', seq: 0, records: 0 }));
    await expect(fsp.access(path.join(dir, 'tusk.lock'))).rejects.toThrow();
  });

  it('migrates a v0-shaped state directory to the current schema', async () => {
    const dir = await fresh();
    // v0: no schemaVersion in the header, jobs without attemptLog/attempt/priority, batches without problems.
    const v0Job = { id: 'old-1', profileId: 'p', path: '/a', name: 'a', size: 3, mtimeMs: 1, status: 'queued', createdAt: 1, metadata: { filename: 'a' } };
    const text =
      encodeLine({ t: 'header', format: 'tusk-state', seq: 1 }) +
      encodeLine({ t: 'job', d: v0Job }) +
      encodeLine({ t: 'batch', d: { id: 'b', profileId: 'p', name: 'n', rootPath: '/', createdAt: 1 } }) +
      encodeLine({ t: 'end', seq: 1, records: 2 });
    await fsp.writeFile(path.join(dir, SNAPSHOT_FILE), text);
    await fsp.writeFile(path.join(dir, JOURNAL_FILE), encodeLine({ s: 2, t: 'putJob', d: { ...v0Job, id: 'old-2' } }));
    const store = await open(dir);
    expect(store.loaded.jobs.get('old-1')).toMatchObject({ attemptLog: [], attempt: 0, priority: 0, offset: 0, metadata: { filename: 'a' } });
    expect(store.loaded.jobs.get('old-2')).toMatchObject({ attemptLog: [], attempt: 0 });
    expect(store.loaded.batches.get('b')?.problems).toEqual([]);
    expect(store.loaded.recovery.messages.join(' ')).toMatch(/older Tusk \(schema v0\) and was upgraded to v1/);
    expect(await fsp.readFile(path.join(dir, 'snapshot.v0.bak'), 'utf8')).toBe(text);
    const header = JSON.parse((await fsp.readFile(path.join(dir, SNAPSHOT_FILE), 'utf8')).split('\n')[0]) as Record<string, unknown>;
    expect(header.schemaVersion).toBe(1);
  });
});
