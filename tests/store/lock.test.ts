import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LOCK_FILE, StoreLockedError, openStore, readLock } from '../../main/engine/store/index';
import { exited, firstLine, makeJob, spawnChild, storeScratch } from './helpers';
import type { ChildProcess } from 'node:child_process';

const { fresh, stores, cleanup } = storeScratch();
const children: ChildProcess[] = [];

afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) {
    c.kill('SIGKILL');
    await exited(c);
  }
  await cleanup();
});

/** A pid that is certainly not running: a child that has exited. */
async function deadPid(): Promise<number> {
  const dir = await fresh();
  const child = spawnChild('hold', dir);
  const pid = Number((await firstLine(child)).split(' ')[1]);
  child.kill('SIGKILL');
  await exited(child);
  return pid;
}

describe('state directory lock', () => {
  it('gives a second process a clear error while the first one lives, and lets it in once it is gone', async () => {
    const dir = await fresh();
    const child = spawnChild('hold', dir);
    children.push(child);
    const line = await firstLine(child);
    const pid = Number(line.split(' ')[1]);
    expect(line).toBe(`ready ${pid}`);
    const err = await openStore(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreLockedError);
    expect((err as StoreLockedError).pid).toBe(pid);
    expect((err as StoreLockedError).code).toBe('state-locked');
    expect((err as Error).message).toContain(`in use by another Tusk process (pid ${pid})`);
    expect((err as Error).message).toContain(path.join(dir, LOCK_FILE));
    child.kill('SIGKILL');
    await exited(child);
    const store = await openStore(dir);
    stores.push(store);
    expect((await readLock(dir))?.pid).toBe(process.pid);
  });

  it('refuses a second open in the same process', async () => {
    const dir = await fresh();
    stores.push(await openStore(dir));
    await expect(openStore(dir)).rejects.toBeInstanceOf(StoreLockedError);
  });

  it('takes over a stale lock left by a dead process', async () => {
    const dir = await fresh();
    const pid = await deadPid();
    await fsp.writeFile(path.join(dir, LOCK_FILE), JSON.stringify({ pid, hostname: os.hostname(), startedAt: 1 }));
    const store = await openStore(dir);
    stores.push(store);
    const lock = await readLock(dir);
    expect(lock?.pid).toBe(process.pid);
    expect(lock?.hostname).toBe(os.hostname());
    expect(typeof lock?.startedAt).toBe('number');
  });

  it('takes over an old unreadable lock, but not one from another computer', async () => {
    const dir = await fresh();
    const lockPath = path.join(dir, LOCK_FILE);
    await fsp.writeFile(lockPath, '');
    const old = new Date(Date.now() - 60_000);
    await fsp.utimes(lockPath, old, old);
    const store = await openStore(dir);
    await store.close();
    await fsp.writeFile(lockPath, JSON.stringify({ pid: 1, hostname: 'some-other-host', startedAt: 1 }));
    await expect(openStore(dir)).rejects.toThrow(/computer "some-other-host".*delete/);
  });

  it('releases the lock on close, keeping the data', async () => {
    const dir = await fresh();
    const store = await openStore(dir);
    store.putJob(makeJob(1));
    await store.close();
    await expect(fsp.access(path.join(dir, LOCK_FILE))).rejects.toThrow();
    const again = await openStore(dir);
    stores.push(again);
    expect(again.loaded.jobs.has('job-1')).toBe(true);
  });
});
