/**
 * The same folder (or file) added again while its jobs are unfinished — e.g. `tusk upload <folder>` run again after a
 * crash — must not queue the files a second time: each file reaches the server exactly once.
 */
import { describe, expect, it } from 'vitest';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { startTusNodeServer } from '../servers/tus-node';
import { sha256File, writeRandomFile } from '../helpers/files';
import { queueOf, startEngine, waitJobsDone, useQueueEnv } from './helpers';

const env = useQueueEnv('tusk-queue-dup-', startTusNodeServer);

async function serverUploads(): Promise<number> {
  return (await readdir(env.server.dir)).filter((n) => n.endsWith('.json')).length;
}

describe('duplicate jobs', () => {
  it('adding the same folder twice (across a restart) queues each file once; new files are still added', async () => {
    const root = join(env.dir, 'docs');
    await mkdir(join(root, 'sub'), { recursive: true });
    const a = join(root, 'a.bin');
    const b = join(root, 'sub', 'b.bin');
    const c = join(root, 'c.bin');
    await writeRandomFile(a, 300_000, 1);
    await writeRandomFile(b, 10_000, 2);
    await writeRandomFile(c, 5, 3);

    // First run: queued, then the process ends before anything is uploaded.
    let { engine } = await env.start({ engine: { autoStart: false } });
    const first = await engine.api.addPaths({ paths: [root] });
    expect(first.jobIds).toHaveLength(3);
    await engine.close();

    // Second run: the jobs are restored; adding the folder again is rejected as a whole.
    ({ engine } = await env.start({ engine: { autoStart: false } }));
    expect(queueOf(engine).jobIds()).toHaveLength(3);
    const again = await engine.api.addPaths({ paths: [root] });
    expect(again.jobIds).toEqual([]);
    expect(again.batchIds).toEqual([]);
    expect(again.rejected).toHaveLength(1);
    expect(again.rejected[0].path).toBe(root);
    expect(again.rejected[0].reason).toMatch(/^Already in the queue/);

    // A single file of it, and the folder with one new file: only the new file becomes a job.
    const single = await engine.api.addPaths({ paths: [b] });
    expect(single.jobIds).toEqual([]);
    expect(single.rejected).toEqual([{ path: b, reason: expect.stringMatching(/^Already in the queue \(queued\)/) as unknown as string }]);
    const d = join(root, 'd.bin');
    await writeRandomFile(d, 70_000, 4);
    const mixed = await engine.api.addPaths({ paths: [root] });
    expect(mixed.jobIds).toHaveLength(1);
    expect(mixed.rejected.map((r) => r.path).sort()).toEqual([a, c, b].sort());
    expect(queueOf(engine).job(mixed.jobIds[0])!.path).toBe(d);
    expect(queueOf(engine).jobIds()).toHaveLength(4);

    await engine.api.resume({ kind: 'all' });
    const jobs = await waitJobsDone(engine, queueOf(engine).jobIds());
    for (const j of jobs) {
      expect(j.status, `${j.path}: ${j.lastError?.message}`).toBe('completed');
      expect(await env.server.sha256(j.uploadUrl!)).toBe(await sha256File(j.path));
    }
    expect(await serverUploads()).toBe(4);

    // Finished jobs do not block: adding the folder again is an explicit new upload of every file.
    const redo = await engine.api.addPaths({ paths: [root] });
    expect(redo.rejected).toEqual([]);
    expect(redo.jobIds).toHaveLength(4);
  });

  it('the same folder twice in one call is added once', async () => {
    const root = join(env.dir, 'twice');
    await mkdir(root, { recursive: true });
    await writeRandomFile(join(root, 'x.bin'), 1000, 5);
    const { engine: e } = await startEngine(join(env.dir, 'state2'), env.server.endpoint, { engine: { autoStart: false } });
    env.engine = e;
    const res = await e.api.addPaths({ paths: [root, root] });
    expect(res.jobIds).toHaveLength(1);
    expect(res.rejected).toHaveLength(1);
    expect(res.rejected[0].reason).toMatch(/^Already in the queue/);
  });
});
