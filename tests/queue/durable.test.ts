/** Durable state across restarts: resume on the same upload, changed/missing sources, expired uploads, corrupt state. */
import { describe, expect, it } from 'vitest';
import { appendFile, mkdir, readdir, rm, unlink } from 'node:fs/promises';
import { openStore } from '../../main/engine/store/index';
import { join } from 'node:path';
import type { EngineNotification } from '../../main/engine/engine-types';
import { startTusNodeServer, uploadIdOf } from '../servers/tus-node';
import { sha256File, writeRandomFile } from '../helpers/files';
import { queueOf, startEngine, waitFor, waitJobsDone, useQueueEnv } from './helpers';

const env = useQueueEnv('tusk-queue-durable-', startTusNodeServer);

/** Starts an upload slowly, lets it send some bytes, and closes the engine (resumable). Returns the job id and URL. */
async function partialUpload(file: string, size: number): Promise<{ id: string; url: string; state: string }> {
  await writeRandomFile(file, size, 99);
  const state = join(env.dir, 'state');
  const { engine: e } = await startEngine(state, env.server.endpoint, { settings: { bandwidthLimit: 400_000 } });
  const q = queueOf(e);
  const { jobIds: [id] } = await e.api.addPaths({ paths: [file] });
  await waitFor('progress', () => (q.job(id)!.offset > 200_000 ? true : undefined));
  const url = q.job(id)!.uploadUrl!;
  await e.close();
  return { id, url, state };
}

describe('durable state', () => {
  it('continues after a restart on the same server upload', async () => {
    const file = join(env.dir, 'a.bin');
    const { id, url } = await partialUpload(file, 1_200_000);
    const { engine: e } = await env.start();
    const [job] = await waitJobsDone(e, [id]);
    expect(job.status).toBe('completed');
    expect(job.uploadUrl).toBe(url);
    expect(await env.server.sha256(url)).toBe(await sha256File(file));
    expect(await env.server.uploadIds()).toHaveLength(1);
    const log = (await e.api.getJobDetails(id)).attemptLog.map((l) => l.kind);
    expect(log).toContain('resumed');
  });

  it('restarts as a new upload when the source changed between runs, and says so', async () => {
    const file = join(env.dir, 'b.bin');
    const { id, url } = await partialUpload(file, 1_000_000);
    await appendFile(file, Buffer.alloc(1000, 7));
    const { engine: e } = await env.start();
    const [job] = await waitJobsDone(e, [id]);
    expect(job.status).toBe('completed');
    expect(job.sourceChanged).toBe(true);
    expect(job.notice).toMatch(/changed/);
    expect(job.size).toBe(1_001_000);
    expect(job.uploadUrl).not.toBe(url);
    expect(await env.server.sha256(job.uploadUrl!)).toBe(await sha256File(file));
    // The old partial upload was removed on the server (termination supported).
    expect(await env.server.uploadIds()).toEqual([uploadIdOf(job.uploadUrl!)]);
  });

  it('fails a job whose source is missing after a restart, with the reason', async () => {
    const file = join(env.dir, 'c.bin');
    const { id } = await partialUpload(file, 1_000_000);
    await unlink(file);
    const { engine: e } = await env.start();
    const notes: EngineNotification[] = [];
    e.onNotification((n) => notes.push(n));
    const [job] = await waitJobsDone(e, [id]);
    expect(job.status).toBe('failed');
    expect(job.lastError?.code).toBe('source-missing');
    expect(job.lastError?.message).toContain(file);
    await waitFor('a failures notification', () => notes.find((n) => n.kind === 'failures'));
  });

  it('starts again when the server forgot the upload (expired)', async () => {
    const file = join(env.dir, 'd.bin');
    const { id, url } = await partialUpload(file, 1_000_000);
    const upId = uploadIdOf(url);
    await rm(join(env.server.dir, upId), { force: true });
    await rm(join(env.server.dir, `${upId}.json`), { force: true });
    const { engine: e } = await env.start();
    const [job] = await waitJobsDone(e, [id]);
    expect(job.status).toBe('completed');
    expect(job.uploadUrl).not.toBe(url);
    expect(job.notice).toMatch(/again from the start/);
    expect(await env.server.sha256(job.uploadUrl!)).toBe(await sha256File(file));
  });

  it('surfaces corrupt state instead of hiding it', async () => {
    const file = join(env.dir, 'e.bin');
    const { id, state } = await partialUpload(file, 600_000);
    const names = await readdir(state);
    const journal = names.find((n) => n.startsWith('journal'));
    expect(journal, `state dir holds ${names.join(', ')}`).toBeTruthy();
    await appendFile(join(state, journal!), '{"this is": not json\n');
    const { engine: e } = await env.start();
    const notes: EngineNotification[] = [];
    e.onNotification((n) => notes.push(n));
    const q = queueOf(e);
    expect(q.recoveryMessages.length).toBeGreaterThan(0);
    expect(q.recoveryMessages.join(' ')).toMatch(/journal/);
    await waitFor('a notification about the damage', () => notes.find((n) => n.kind === 'failures'));
    // The readable part of the state still works.
    const [job] = await waitJobsDone(e, [id]);
    expect(job.status).toBe('completed');
  });

  it('compacts while uploading with the live job records (no store copies) and restores everything after a restart', async () => {
    const folder = join(env.dir, 'many');
    await mkdir(folder);
    const files: string[] = [];
    for (let i = 0; i < 30; i++) {
      files.push(join(folder, `f${i}.bin`));
      await writeRandomFile(files[i], i % 5 === 0 ? 200_000 + i : 1_000 + i * 100, i + 1);
    }
    const state = join(env.dir, 'state');
    // A tiny threshold: the journal is compacted many times while jobs are added, run and completed.
    const store = await openStore(state, { compactAfterBytes: 4 * 1024, flushIntervalMs: 5 });
    const { engine: e } = await startEngine(state, env.server.endpoint, { engine: { store } });
    const { jobIds } = await e.api.addPaths({ paths: [folder] });
    expect(jobIds).toHaveLength(30);
    const jobs = await waitJobsDone(e, jobIds);
    expect(jobs.every((j) => j.status === 'completed')).toBe(true);
    await e.close();
    expect(store.snapshotBytes).toBeGreaterThan(10_000); // compactions ran: the snapshot holds the 30 jobs

    const { engine: again } = await env.start();
    const q = queueOf(again);
    expect(q.recoveryMessages).toEqual([]);
    expect(q.historyEntries().map((h) => h.jobId).sort()).toEqual([...jobIds].sort());
    for (const [i, id] of jobIds.entries()) {
      const job = q.job(id)!;
      expect(job).toMatchObject({ status: 'completed', uploadUrl: jobs[i].uploadUrl, size: jobs[i].size });
      expect(await env.server.sha256(job.uploadUrl!)).toBe(await sha256File(job.path));
    }
    expect(await env.server.uploadIds()).toHaveLength(30);
  });
});
