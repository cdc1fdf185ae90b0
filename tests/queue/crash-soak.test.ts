/**
 * Crash soak: a 50-file batch uploaded by a child process that is killed with SIGKILL at 20 random moments and
 * restarted each time. At the end every file on the server matches its source and no file above SMALL_FILE_MAX was
 * uploaded twice (a small one may be, see docs/queue.md).
 */
import { describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { mkdir, readFile, readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { startTusNodeServer } from '../servers/tus-node';
import { sha256File, writeRandomFile } from '../helpers/files';
import { SMALL_FILE_MAX } from '../../main/engine/tus/client';
import { spawnFixture, useQueueEnv, type FixtureExit } from './helpers';

const KILLS = 20;
/**
 * Upload rate of the child (bytes/s). Low enough that the ~30 MiB need ≥ 10 s of uploading, so 20 kills at
 * 0.25–1.25 s each always come before the end however fast the queue gets (at 6 MiB/s a faster queue finished the
 * soak before its 10th kill).
 */
const SOAK_RATE = 3 * 1024 * 1024;
const FILES = 50;
const env = useQueueEnv('tusk-queue-soak-', startTusNodeServer, { scope: 'all' });

function run(stateDir: string, folder: string): { child: ChildProcess; done: Promise<FixtureExit> } {
  return spawnFixture('uploader.ts', [stateDir, folder, env.server.endpoint, String(SOAK_RATE)]);
}

describe('crash soak', () => {
  it(`survives ${KILLS} SIGKILLs: every file byte-identical, none above 64 KiB uploaded twice`, { timeout: 150_000 }, async () => {
    const folder = join(env.dir, 'soak');
    await mkdir(join(folder, 'sub', 'deeper'), { recursive: true });
    const sources = new Map<string, string>();
    // Mixed sizes: many small, some around a chunk, a few of a few MiB (about 30 MiB in all). None empty: an empty
    // upload is complete at creation, so a kill between POST and saving its URL would make a second one legitimately.
    for (let i = 0; i < FILES; i++) {
      const size = i % 10 === 0 ? 2_500_000 + i * 1000 : i % 3 === 0 ? 300_000 + i * 7 : 1 + i * 4_999;
      const sub = i % 3 === 0 ? 'sub/deeper' : i % 2 === 0 ? 'sub' : '';
      const path = join(folder, sub, `file ${i}.bin`);
      sources.set(`soak/${relative(folder, path)}`, await writeRandomFile(path, size, 1000 + i));
    }
    const stateDir = join(env.dir, 'state');
    let finished = false;
    let kills = 0;
    let runs = 0;
    while (kills < KILLS && !finished) {
      runs++;
      const { child, done } = run(stateDir, folder);
      const delay = 250 + Math.floor(Math.random() * 1000);
      const timer = setTimeout(() => child.kill('SIGKILL'), delay);
      const res = await done;
      clearTimeout(timer);
      if (res.code === 0) finished = true;
      else if (res.code === null) kills++;
      else throw new Error(`uploader exited with ${res.code}: ${res.err}`);
    }
    if (!finished) {
      runs++;
      const res = await run(stateDir, folder).done;
      expect(res.code, res.err).toBe(0);
      expect(res.out).toContain(`DONE ${FILES} 0`);
    }
    process.stdout.write(`crash soak: ${kills} kills over ${runs} runs\n`);
    expect(kills).toBeGreaterThanOrEqual(10);

    // Every completed upload on the server, by relativePath.
    const completed = new Map<string, string[]>();
    for (const name of await readdir(env.server.dir)) {
      if (!name.endsWith('.json')) continue;
      const info = JSON.parse(await readFile(join(env.server.dir, name), 'utf8')) as { id: string; size?: number; metadata?: Record<string, string> };
      const rel = info.metadata?.relativePath;
      // @tus/file-store keeps the offset as the data file's length.
      const offset = (await stat(join(env.server.dir, info.id))).size;
      if (!rel || info.size === undefined || offset !== info.size) continue;
      completed.set(rel, [...(completed.get(rel) ?? []), info.id]);
    }
    expect([...completed.keys()].sort()).toEqual([...sources.keys()].sort());
    let smallTwice = 0;
    for (const [rel, ids] of completed) {
      const size = (await stat(join(folder, rel.slice('soak/'.length)))).size;
      // Small files go in the creation request (docs/queue.md, "Durability"): a kill after the server stored one and
      // before its URL was saved leaves a complete copy the client never learned about, and the file is sent again.
      // Every copy must still be byte-identical; bigger files must be uploaded exactly once.
      if (size > SMALL_FILE_MAX) expect(ids, `${rel} was uploaded ${ids.length} times`).toHaveLength(1);
      else if (ids.length > 1) smallTwice++;
      for (const id of ids) expect(await sha256File(join(env.server.dir, id)), rel).toBe(sources.get(rel));
    }
    process.stdout.write(`crash soak: ${smallTwice} small file(s) sent more than once (kill between creation and saving the URL)\n`);
  });
});
