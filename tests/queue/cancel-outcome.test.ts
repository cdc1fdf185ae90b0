/** `cancel` says per job whether its server upload is gone, and a job whose upload stayed on the server says so. */
import { beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Engine } from '../../main/engine/engine-types';
import { startTusNodeServer } from '../servers/tus-node';
import { startFaultProxy, type FaultProxy } from '../servers/fault-proxy';
import { sha256File, writeRandomFile } from '../helpers/files';
import { queueOf, useQueueEnv, waitFor, waitJobsDone } from './helpers';

let proxy: FaultProxy;
const env = useQueueEnv('tusk-queue-cancel-', startTusNodeServer, { afterEngine: () => proxy.close() });
// After the env's own beforeEach (registered first): the proxy needs the server's origin.
beforeEach(async () => {
  proxy = await startFaultProxy({ target: new URL(env.server.endpoint).origin });
});

/** An engine through the proxy, with one slow upload running (it has a server upload, not finished). */
async function runningJob(name: string, seed: number): Promise<{ e: Engine; id: string; url: string }> {
  const file = join(env.dir, name);
  await writeRandomFile(file, 1_000_000, seed);
  const { engine: e } = await env.start({ settings: { bandwidthLimit: 200_000 } }, proxy.endpointFor(env.server.endpoint));
  const {
    jobIds: [id],
  } = await e.api.addPaths({ paths: [file] });
  const url = await waitFor('an upload URL', () => queueOf(e).job(id)!.uploadUrl);
  return { e, id, url };
}

describe('cancel outcome', () => {
  it('reports a server upload that could not be removed, on the job and in the return value; a retry still uploads the file whole', async () => {
    const { e, id, url } = await runningJob('keep.bin', 31);
    proxy.addFault({ kind: 'status', status: 500, body: 'disk on fire', match: { method: 'DELETE', times: Infinity } });
    const q = queueOf(e);
    const outcomes = await q.cancel({ kind: 'job', id });
    expect(outcomes).toHaveLength(1);
    const [o] = outcomes;
    expect(o.jobId).toBe(id);
    expect(o.uploadUrl).toBe(url);
    expect(o.removed).toBe(false);
    expect(o.reason).toMatch(/500/);
    const job = q.job(id)!;
    expect(job.status).toBe('cancelled');
    expect(job.uploadUrl).toBeUndefined();
    expect(job.notice).toContain('could not be removed from the server');
    expect(job.notice).toContain(url);
    expect(job.notice).toContain(o.reason!);
    expect((await e.api.getJobDetails(id)).attemptLog.map((l) => l.kind)).toContain('terminate-failed');
    expect(proxy.log.some((l) => l.method === 'DELETE' && l.status === 500)).toBe(true);
    // The upload is still on the server, as reported.
    expect(await env.server.uploadIds()).toHaveLength(1);

    proxy.clearFaults();
    await e.api.setBandwidthLimit(0);
    await e.api.retry({ kind: 'job', id });
    const [done] = await waitJobsDone(e, [id]);
    expect(done.status, done.lastError?.message).toBe('completed');
    expect(await env.server.sha256(done.uploadUrl!)).toBe(await sha256File(done.path));
  });

  it('reports a removed server upload and leaves no notice', async () => {
    const { e, id, url } = await runningJob('gone.bin', 32);
    const outcomes = await queueOf(e).cancel({ kind: 'job', id });
    expect(outcomes).toEqual([{ jobId: id, uploadUrl: url, removed: true }]);
    expect(queueOf(e).job(id)!.notice).toBeUndefined();
    expect(await env.server.uploadIds()).toHaveLength(0);
    // Cancelling again acts on nothing (already cancelled).
    expect(await queueOf(e).cancel({ kind: 'job', id })).toEqual([]);
  });
});
