/** Folder batches against the real @tus/server: nested folders, odd names, empty files, ignores, sha256 of every file. */
import { describe, expect, it } from 'vitest';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startTusNodeServer, uploadIdOf } from '../servers/tus-node';
import { removeDir, sha256File, writeRandomFile } from '../helpers/files';
import { queueOf, waitJobsDone, useQueueEnv } from './helpers';

const env = useQueueEnv('tusk-queue-batch-', startTusNodeServer);

async function serverMetadata(uploadUrl: string): Promise<Record<string, string | null>> {
  const info = JSON.parse(await readFile(join(env.server.dir, `${uploadIdOf(uploadUrl)}.json`), 'utf8')) as { metadata: Record<string, string | null> };
  return info.metadata;
}

describe('folder batches', () => {
  it('uploads a nested folder with unicode, spaces and empty files, skipping ignored names, byte-identical', async () => {
    const root = join(env.dir, 'my photos');
    await mkdir(join(root, '2024', 'été à Paris'), { recursive: true });
    await mkdir(join(root, 'empty dir'), { recursive: true });
    await writeRandomFile(join(root, 'a.jpg'), 300_000, 1);
    await writeRandomFile(join(root, '2024', 'b c.txt'), 70_000, 2);
    await writeRandomFile(join(root, '2024', 'été à Paris', '日本語 ファイル.bin'), 1_000_000, 3);
    await writeFile(join(root, '2024', 'zero.dat'), '');
    await writeFile(join(root, '.DS_Store'), 'junk');
    await writeFile(join(root, '2024', 'Thumbs.db'), 'junk');
    const { engine: e } = await env.start();
    const added = await e.api.addPaths({ paths: [root] });
    expect(added.rejected).toEqual([]);
    expect(added.batchIds).toHaveLength(1);
    expect(added.jobIds).toHaveLength(4);
    const jobs = await waitJobsDone(e, added.jobIds);
    const rels = jobs.map((j) => j.relativePath).sort();
    expect(rels).toEqual(['my photos/2024/b c.txt', 'my photos/2024/zero.dat', 'my photos/2024/été à Paris/日本語 ファイル.bin', 'my photos/a.jpg']);
    for (const j of jobs) {
      expect(j.status, `${j.relativePath}: ${j.lastError?.message}`).toBe('completed');
      expect(await env.server.sha256(j.uploadUrl!)).toBe(await sha256File(j.path));
      const md = await serverMetadata(j.uploadUrl!);
      expect(md.relativePath).toBe(j.relativePath);
      expect(md.filename).toBe(j.name);
    }
    expect((await serverMetadata(jobs.find((j) => j.name === 'a.jpg')!.uploadUrl!)).filetype).toBe('image/jpeg');
    const snap = await e.api.getSnapshot();
    const batch = snap.batches[0];
    expect(batch).toMatchObject({ name: 'my photos', jobCount: 4, completedCount: 4, failedCount: 0, status: 'completed', size: 1_370_000, offset: 1_370_000 });
    expect(snap.totals).toMatchObject({ filesTotal: 4, filesDone: 4, bytesDone: 1_370_000 });
    // History export: one row per file, quoted where needed.
    const csv = (await e.api.exportHistory({ format: 'csv' })).content.split('\r\n');
    expect(csv).toHaveLength(6);
    expect(csv.some((line) => line.includes('"b c.txt"') || line.includes(',b c.txt,'))).toBe(true);
    const json = JSON.parse((await e.api.exportHistory({ format: 'json' })).content) as unknown[];
    expect(json).toHaveLength(4);
  });

  it('reports a symlink loop on the batch and still uploads the rest (followSymlinks on)', async () => {
    const root = join(env.dir, 'looped');
    await mkdir(join(root, 'sub'), { recursive: true });
    await writeRandomFile(join(root, 'sub', 'f.bin'), 10_000, 4);
    await symlink('..', join(root, 'sub', 'back-up'));
    const { engine: e } = await env.start({ settings: { followSymlinks: true } });
    const added = await e.api.addPaths({ paths: [root] });
    expect(added.jobIds).toHaveLength(1);
    const snap = await e.api.getSnapshot();
    expect(snap.batches[0].problems).toHaveLength(1);
    expect(snap.batches[0].problems[0].reason).toMatch(/loop/i);
    const [job] = await waitJobsDone(e, added.jobIds);
    expect(job.status).toBe('completed');
    expect(await env.server.sha256(job.uploadUrl!)).toBe(await sha256File(job.path));
  });

  it('does not follow symlinks by default and says so on the batch', async () => {
    const root = join(env.dir, 'links');
    await mkdir(root, { recursive: true });
    await writeRandomFile(join(root, 'real.bin'), 1000, 5);
    await symlink(join(root, 'real.bin'), join(root, 'alias.bin'));
    const { engine: e } = await env.start();
    const added = await e.api.addPaths({ paths: [root] });
    expect(added.jobIds).toHaveLength(1);
    const snap = await e.api.getSnapshot();
    expect(snap.batches[0].problems.map((p) => p.path)).toEqual([join(root, 'alias.bin')]);
    await waitJobsDone(e, added.jobIds);
  });

  it('reports an unreadable folder on the batch without failing the batch', async () => {
    const root = join(env.dir, 'locked');
    await mkdir(join(root, 'secret'), { recursive: true });
    await writeRandomFile(join(root, 'open.bin'), 2000, 6);
    await writeRandomFile(join(root, 'secret', 'hidden.bin'), 2000, 7);
    if (process.getuid?.() === 0) {
      // Root reads any folder regardless of its mode; replacing the folder by a dangling symlink followed on purpose
      // is a real unreadable entry that works as root too.
      await removeDir(join(root, 'secret'));
      await symlink(join(env.dir, 'does-not-exist'), join(root, 'secret'));
    } else {
      const { chmod } = await import('node:fs/promises');
      await chmod(join(root, 'secret'), 0o000);
    }
    const { engine: e } = await env.start({ settings: { followSymlinks: true } });
    const added = await e.api.addPaths({ paths: [root] });
    expect(added.jobIds).toHaveLength(1);
    const snap = await e.api.getSnapshot();
    expect(snap.batches[0].problems).toHaveLength(1);
    expect(snap.batches[0].problems[0].path).toBe(join(root, 'secret'));
    const [job] = await waitJobsDone(e, added.jobIds);
    expect(job.status).toBe('completed');
    if (process.getuid?.() !== 0) {
      const { chmod } = await import('node:fs/promises');
      await chmod(join(root, 'secret'), 0o755);
    }
  });

  it('rejects missing paths and empty folders with a reason; custom ignore patterns apply', async () => {
    const empty = join(env.dir, 'empty');
    await mkdir(empty);
    const root = join(env.dir, 'logs');
    await mkdir(root);
    await writeFile(join(root, 'keep.txt'), 'x');
    await writeFile(join(root, 'skip.log'), 'y');
    const { engine: e } = await env.start({ settings: { ignorePatterns: ['*.log'] } });
    const added = await e.api.addPaths({ paths: [join(env.dir, 'nope.bin'), empty, root] });
    expect(added.rejected.map((r) => r.path)).toEqual([join(env.dir, 'nope.bin'), empty]);
    expect(added.rejected[0].reason).toMatch(/no such file/i);
    expect(added.jobIds).toHaveLength(1);
    expect(queueOf(e).job(added.jobIds[0])!.name).toBe('keep.txt');
    await waitJobsDone(e, added.jobIds);
  });
});
