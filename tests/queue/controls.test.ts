/** Pause, resume, cancel, reorder, priorities, limits, visible retries and the bandwidth limit, on real servers. */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { JobView, QueueDelta } from '../../shared/types';
import { startTusNodeServer } from '../servers/tus-node';
import { startFaultProxy, type Fault, type FaultProxy } from '../servers/fault-proxy';
import { sha256File, writeRandomFile } from '../helpers/files';
import { queueOf, waitFor, waitJobsDone, useQueueEnv } from './helpers';

let proxy: FaultProxy | undefined;
const env = useQueueEnv('tusk-queue-controls-', startTusNodeServer, {
  afterEngine: async () => {
    await proxy?.close();
    proxy = undefined;
  },
});

async function expectSameBytes(job: JobView): Promise<void> {
  expect(job.status, job.lastError?.message).toBe('completed');
  expect(await env.server.sha256(job.uploadUrl!)).toBe(await sha256File(job.path));
}

/** Writes `name` (`size` random bytes from `seed`), starts an engine held to `bandwidthLimit` and queues the file. */
async function queueOneFile(name: string, size: number, seed: number, bandwidthLimit: number) {
  const file = join(env.dir, name);
  await writeRandomFile(file, size, seed);
  const { engine: e } = await env.start({ settings: { bandwidthLimit } });
  const q = queueOf(e);
  const { jobIds: [id] } = await e.api.addPaths({ paths: [file] });
  return { file, e, q, id };
}

describe('controls', () => {
  it('pauses a running upload (no more bytes), resumes it on the same server upload, and completes byte-identical', async () => {
    const { e, q, id } = await queueOneFile('big.bin', 1_500_000, 11, 400_000);
    await waitFor('some progress', () => (q.job(id)!.offset > 100_000 ? true : undefined));
    await e.api.pause({ kind: 'job', id });
    const paused = q.job(id)!;
    expect(paused.status).toBe('paused');
    const url = paused.uploadUrl;
    expect(url).toBeTruthy();
    await new Promise((r) => setTimeout(r, 400));
    expect(q.job(id)!.offset).toBe(paused.offset);
    expect(q.job(id)!.status).toBe('paused');
    await e.api.setBandwidthLimit(0);
    await e.api.resume({ kind: 'job', id });
    const [done] = await waitJobsDone(e, [id]);
    await expectSameBytes(done);
    expect(done.uploadUrl).toBe(url);
    expect(await env.server.uploadIds()).toHaveLength(1);
    const details = await e.api.getJobDetails(id);
    expect(details.attemptLog.map((l) => l.kind)).toContain('paused');
    expect(details.endpoint).toBe(env.server.endpoint);
  });

  it('cancels a running upload and removes it on the server', async () => {
    const { e, q, id } = await queueOneFile('c.bin', 1_000_000, 12, 200_000);
    await waitFor('an upload URL', () => q.job(id)!.uploadUrl);
    expect(await env.server.uploadIds()).toHaveLength(1);
    await e.api.cancel({ kind: 'job', id });
    expect(q.job(id)!.status).toBe('cancelled');
    expect(await env.server.uploadIds()).toHaveLength(0);
    // A cancelled job can be retried: a new upload from the start.
    await e.api.setBandwidthLimit(0);
    await e.api.retry({ kind: 'job', id });
    const [done] = await waitJobsDone(e, [id]);
    await expectSameBytes(done);
    await e.api.clearFinished();
    expect((await e.api.getSnapshot()).jobs).toHaveLength(0);
    expect(await e.api.getHistory({})).toHaveLength(1);
  });

  it('runs jobs by priority, then order; reorder moves a job to the front', async () => {
    const files: string[] = [];
    for (let i = 0; i < 4; i++) {
      files.push(join(env.dir, `f${i}.bin`));
      // Above SMALL_FILE_MAX: small files take a quarter slot each, so concurrency 1 would run four of them at once.
      await writeRandomFile(files[i], 100_000, 20 + i);
    }
    const { engine: e } = await env.start({ settings: { concurrency: 1 }, engine: { autoStart: false } });
    const added = await e.api.addPaths({ paths: files });
    const [a, b, c, d] = added.jobIds;
    const deltas: QueueDelta[] = [];
    e.onDelta((x) => deltas.push(x));
    await e.api.setPriority({ target: { kind: 'job', id: c }, priority: 10 });
    await e.api.reorder({ jobId: d, toIndex: 0 });
    await waitFor('an order delta', () => deltas.find((x) => x.order)?.order);
    expect(queueOf(e).jobIds()).toEqual([d, c, a, b]);
    expect(deltas.find((x) => x.order)!.order).toEqual([d, c, a, b]);
    expect((await e.api.getSnapshot()).jobs.map((j) => j.id)).toEqual([d, c, a, b]);
    await e.api.reorder({ jobId: a, toIndex: 3 });
    expect(queueOf(e).jobIds()).toEqual([d, c, b, a]);
    await e.api.resume({ kind: 'all' });
    const jobs = await waitJobsDone(e, added.jobIds);
    for (const j of jobs) await expectSameBytes(j);
    const history = await e.api.getHistory({});
    // Newest first.
    expect(history.map((h) => h.jobId)).toEqual([a, b, c, d]);
  });

  it('keeps to the per-server limit even when the global limit is higher', async () => {
    const files: string[] = [];
    for (let i = 0; i < 5; i++) {
      files.push(join(env.dir, `s${i}.bin`));
      await writeRandomFile(files[i], 100_000, 30 + i);
    }
    const { engine: e } = await env.start({
      settings: { concurrency: 8, bandwidthLimit: 1_000_000 },
      profile: { maxConcurrent: 2 },
    });
    let maxActive = 0;
    const q = queueOf(e);
    const added = await e.api.addPaths({ paths: files });
    const jobs = await waitFor('all done', () => {
      const list = added.jobIds.map((id) => q.job(id)!);
      maxActive = Math.max(maxActive, list.filter((j) => j.status === 'uploading').length);
      return list.every((j) => j.status === 'completed') ? list : undefined;
    });
    expect(maxActive).toBe(2);
    for (const j of jobs) await expectSameBytes(j);
  });

  it('a server at its own limit does not hold back jobs for another server queued after its jobs', async () => {
    const files: string[] = [];
    for (let i = 0; i < 6; i++) {
      files.push(join(env.dir, `p${i}.bin`));
      await writeRandomFile(files[i], 100_000, 60 + i);
    }
    const { engine: e, profiles } = await env.start({
      settings: { concurrency: 8, bandwidthLimit: 600_000 },
      profile: { maxConcurrent: 1 },
    });
    const other = await profiles.save({ ...(await profiles.get('p1'))!, id: 'p2', name: 'second' });
    const q = queueOf(e);
    // p1's four jobs come first in the run order; p1 runs one at a time.
    const first = await e.api.addPaths({ paths: files.slice(0, 4), profileId: 'p1' });
    const second = await e.api.addPaths({ paths: files.slice(4), profileId: other.id });
    let both = false;
    const ids = [...first.jobIds, ...second.jobIds];
    const jobs = await waitFor('all done', () => {
      const list = ids.map((id) => q.job(id)!);
      const active = list.filter((j) => j.status === 'uploading');
      expect(active.filter((j) => j.profileId === 'p1').length).toBeLessThanOrEqual(1);
      // The second server's job runs while the first server still has jobs waiting behind its limit.
      const waiting = list.filter((j) => j.profileId === 'p1' && j.status === 'queued').length;
      if (waiting >= 2 && active.some((j) => j.profileId === other.id)) both = true;
      return list.every((j) => j.status === 'completed') ? list : undefined;
    });
    expect(both).toBe(true);
    for (const j of jobs) await expectSameBytes(j);
  });

  /**
   * Queues one 300,000-byte file through a fault proxy armed with `fault`, recording every `retrying` view of the job.
   * Resolves once the job is done (`t0`: when it was queued).
   */
  async function runThroughFault(fault: Fault, name: string, seed: number) {
    proxy = await startFaultProxy({ target: env.server.origin });
    proxy.addFault(fault);
    const file = join(env.dir, name);
    await writeRandomFile(file, 300_000, seed);
    const { engine: e } = await env.start({}, proxy.endpointFor(env.server.endpoint));
    const seen: JobView[] = [];
    e.onDelta((d) => {
      for (const j of d.jobs ?? []) if (j.status === 'retrying') seen.push(j);
    });
    const { jobIds: [id] } = await e.api.addPaths({ paths: [file] });
    const t0 = Date.now();
    const [done] = await waitJobsDone(e, [id]);
    return { e, id, seen, done, t0 };
  }

  it('shows retries (attempt n, error, countdown) for 503s, then completes', async () => {
    const { e, id, seen, done } = await runThroughFault({ kind: 'status', status: 503, body: 'busy', match: { method: 'PATCH', times: 3 } }, 'r.bin', 40);
    await expectSameBytes(done);
    expect(done.attempt).toBe(4);
    expect(seen.length).toBeGreaterThanOrEqual(3);
    const attempts = [...new Set(seen.map((j) => j.attempt))];
    expect(attempts).toEqual([1, 2, 3]);
    for (const j of seen) {
      expect(j.lastError?.status).toBe(503);
      expect(j.lastError?.retryable).toBe(true);
      expect(j.nextAttemptAt).toBeGreaterThan(j.createdAt);
    }
    const log = (await e.api.getJobDetails(id)).attemptLog.filter((l) => l.kind === 'retry');
    expect(log).toHaveLength(3);
    expect(log.every((l) => (l.delayMs ?? 0) > 0)).toBe(true);
  });

  it("waits as long as a 429's Retry-After asks, beyond its own backoff, then completes", async () => {
    // The queue's own backoff is 200 ms at most here: only the server's header can make it wait 2 s.
    const { e, id, seen, done, t0 } = await runThroughFault(
      { kind: 'status', status: 429, headers: { 'Retry-After': '2' }, match: { method: 'PATCH', nth: 1 } },
      'limited-by-server.bin',
      41,
    );
    await expectSameBytes(done);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1900);
    expect(seen[0]?.lastError).toMatchObject({ code: 'rate-limited', status: 429, retryable: true });
    expect(seen[0]!.nextAttemptAt! - t0).toBeGreaterThanOrEqual(1900);
    const log = (await e.api.getJobDetails(id)).attemptLog.filter((l) => l.kind === 'retry');
    expect(log.map((l) => l.delayMs)).toEqual([2000]);
    expect(log[0]!.message).toMatch(/It asked to wait 2 s\..*Next attempt in 2 s\./);
  });

  it('fails a job that retrying cannot fix (413) with the reason, and a person can retry it', async () => {
    await env.server.close();
    env.server = await startTusNodeServer({ maxSize: 50_000 });
    const file = join(env.dir, 'big.bin');
    await writeRandomFile(file, 60_000, 50);
    const { engine: e } = await env.start();
    const { jobIds: [id] } = await e.api.addPaths({ paths: [file] });
    const [job] = await waitJobsDone(e, [id]);
    expect(job.status).toBe('failed');
    expect(job.lastError?.code).toBe('too-large');
    expect(job.lastError?.retryable).toBe(false);
    expect(job.lastError?.message.length).toBeGreaterThan(10);
    await e.api.retry({ kind: 'job', id });
    const [again] = await waitJobsDone(e, [id]);
    expect(again.status).toBe('failed');
    expect(again.attempt).toBe(2);
  });

  it('holds a 1 MiB/s bandwidth limit: 2 MiB take at least 1.5 s', async () => {
    const file = join(env.dir, 'limited.bin');
    await writeRandomFile(file, 2 * 1024 * 1024, 60);
    const { engine: e } = await env.start({ settings: { bandwidthLimit: 1024 * 1024 } });
    const t0 = performance.now();
    const { jobIds: [id] } = await e.api.addPaths({ paths: [file] });
    const [job] = await waitJobsDone(e, [id]);
    const elapsed = performance.now() - t0;
    await expectSameBytes(job);
    expect(elapsed).toBeGreaterThanOrEqual(1500);
  });

  it('suspend stops uploads without marking them paused; wake continues them', async () => {
    const { e, q, id } = await queueOneFile('sw.bin', 800_000, 70, 300_000);
    await waitFor('progress', () => q.job(id)!.offset > 50_000);
    await e.suspend('test');
    expect(q.job(id)!.status).toBe('queued');
    expect(e.status().paused).toBe(true);
    await e.api.setBandwidthLimit(0);
    await e.wake();
    const [done] = await waitJobsDone(e, [id]);
    await expectSameBytes(done);
    expect(await env.server.uploadIds()).toHaveLength(1);
  });

  it('coalesces deltas: at most ~10 a second, many jobs per delta', async () => {
    const files: string[] = [];
    for (let i = 0; i < 30; i++) {
      files.push(join(env.dir, `d${i}.bin`));
      await writeRandomFile(files[i], 5_000, 80 + i);
    }
    const { engine: e } = await env.start();
    const times: number[] = [];
    let maxJobs = 0;
    e.onDelta((d) => {
      times.push(performance.now());
      maxJobs = Math.max(maxJobs, d.jobs?.length ?? 0);
    });
    const added = await e.api.addPaths({ paths: files });
    await waitJobsDone(e, added.jobIds);
    for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1]).toBeGreaterThanOrEqual(90);
    expect(maxJobs).toBeGreaterThanOrEqual(30);
  });
});
