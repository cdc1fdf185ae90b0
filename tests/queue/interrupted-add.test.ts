/**
 * A kill during a folder add: `addPaths` writes the batch marked `scanning` before its jobs and clears the mark after
 * the last one. A child process is killed with SIGKILL while it writes the jobs of a 30,000-file folder; the restart
 * finds the marked batch, reads the folder again and queues exactly the missing files, and says so.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openStore } from '../../main/engine/store/index';
import { JOURNAL_FILE } from '../../main/engine/store/files';
import { internalsOf } from '../../main/engine/engine-internals';
import { makeTempDir, removeDir } from '../helpers/files';
import { queueOf, spawnFixture, startEngine } from './helpers';

const FILES = 30_000;
let dir: string;
let folder: string;
const allPaths: string[] = [];

beforeAll(async () => {
  dir = await makeTempDir('tusk-queue-interrupted-add-');
  folder = join(dir, 'photos');
  for (let d = 0; d * 1000 < FILES; d++) {
    const sub = join(folder, `d${d}`);
    await mkdir(sub, { recursive: true });
    const names = Array.from({ length: 1000 }, (_, i) => join(sub, `f ${i}.bin`));
    await Promise.all(names.map((p) => writeFile(p, 'x')));
    allPaths.push(...names);
  }
}, 60_000);
afterAll(async () => {
  await removeDir(dir);
});

describe('interrupted folder add', () => {
  it('completes a folder add cut short by SIGKILL: every file queued exactly once, and says so', { timeout: 60_000 }, async () => {
    const state = join(dir, 'state');
    const { child, done } = spawnFixture('adder.ts', [state, folder]);
    // Killed once the journal holds some of the jobs (~500 bytes each) and long before all of them.
    for (;;) {
      const size = await stat(join(state, JOURNAL_FILE)).then((s) => s.size, () => 0);
      if (size > 1_000_000 || child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 2));
    }
    child.kill('SIGKILL');
    const { out, err } = await done;
    expect(out, `the child finished its add before the kill (stderr: ${err}); the kill must land mid-add`).not.toContain('ADDED');

    // What the kill left on disk: the batch still marked, and part of its jobs.
    const store = await openStore(state);
    const batches = [...store.loaded.batches.values()];
    expect(batches).toHaveLength(1);
    expect(batches[0].scanning).toBeDefined();
    const partial = store.loaded.jobs.size;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(FILES);
    await store.close();

    // The restart reads the folder again and queues what is missing.
    const { engine } = await startEngine(state, 'http://127.0.0.1:9/files', { profile: { id: 'add' }, engine: { autoStart: false } });
    try {
      await internalsOf(engine).restoring;
      const q = queueOf(engine);
      expect(q.recoveryMessages.join('\n')).toMatch(new RegExp(`folder "photos" .* was still being added when Tusk stopped \\(${partial} of its files`));
      const jobs = q.jobIds().map((id) => q.job(id)!);
      expect(jobs).toHaveLength(FILES);
      expect(new Set(jobs.map((j) => j.path)).size).toBe(FILES);
      expect([...new Set(jobs.map((j) => j.path))].sort()).toEqual([...allPaths].sort());
      expect(new Set(jobs.map((j) => j.batchId))).toEqual(new Set([batches[0].id]));
      const [view] = q.snapshot().batches;
      expect(view.jobCount).toBe(FILES);
    } finally {
      await engine.close();
    }

    // Durably complete: the mark is gone, nothing more to say at the next start.
    const again = await openStore(state);
    try {
      expect([...again.loaded.batches.values()][0].scanning).toBeUndefined();
      expect(again.loaded.jobs.size).toBe(FILES);
      expect(again.loaded.recovery.messages).toEqual([]);
    } finally {
      await again.close();
    }
  });
});
