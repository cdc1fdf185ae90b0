import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StoreIoError, openStore, type StoreIo } from '../../main/engine/store/index';
import { makeJob, storeScratch } from './helpers';

const { fresh, stores, cleanup } = storeScratch();
afterEach(cleanup);

/** A disk that fills up on demand: writes fail with ENOSPC after writing part of the data, like a real full disk. */
function fillableDisk(): { io: Partial<StoreIo>; full: boolean } {
  const disk = {
    full: false,
    io: {
      async write(handle, data) {
        if (disk.full) {
          if (data.length > 10) await handle.write(data, 0, 10, null); // a partial line reaches the file
          throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
        }
        const { bytesWritten } = await handle.write(data, 0, data.length, null);
        return bytesWritten;
      },
    } satisfies Partial<StoreIo>,
  };
  return disk;
}

describe('write failures', () => {
  it('a full disk gives a clear error, keeps the changes in memory and writes them once space is back', async () => {
    const dir = await fresh();
    const disk = fillableDisk();
    const errors: StoreIoError[] = [];
    let recovered = 0;
    const store = await openStore(dir, {
      io: disk.io,
      retryDelayMs: 10,
      onWriteError: (e) => errors.push(e),
      onWriteRecovered: () => recovered++,
    });
    stores.push(store);
    store.putJob(makeJob(1));
    await store.flush();
    disk.full = true;
    store.putJob(makeJob(2));
    store.patchJob('job-1', { status: 'completed' });
    const err = await store.flush().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreIoError);
    expect((err as StoreIoError).code).toBe('state-disk-full');
    expect((err as Error).message).toContain(dir);
    expect((err as Error).message).toMatch(/full \(ENOSPC\).*Free some space.*retries/);
    expect(errors.length).toBeGreaterThanOrEqual(1);
    expect(store.writeError?.code).toBe('state-disk-full');
    expect(store.pendingRecords).toBe(2);
    store.patchJob('job-2', { status: 'paused' }); // the queue keeps going
    disk.full = false;
    for (let i = 0; i < 200 && store.writeError; i++) await new Promise((r) => setTimeout(r, 10));
    expect(store.writeError).toBeUndefined();
    expect(recovered).toBe(1);
    await store.close();
    const again = await openStore(dir);
    stores.push(again);
    expect(again.loaded.recovery.messages).toEqual([]);
    expect(again.loaded.jobs.get('job-1')?.status).toBe('completed');
    expect(again.loaded.jobs.get('job-2')?.status).toBe('paused');
  });

  it('a compaction on a full disk fails cleanly and leaves the state intact', async () => {
    const dir = await fresh();
    const disk = fillableDisk();
    const store = await openStore(dir, { io: disk.io, retryDelayMs: 10 });
    stores.push(store);
    for (let i = 0; i < 100; i++) store.putJob(makeJob(i));
    await store.flush();
    disk.full = true;
    await expect(store.compact()).rejects.toThrow(/full \(ENOSPC\)/);
    disk.full = false;
    await store.close();
    const entries = await fsp.readdir(dir);
    expect(entries.filter((e) => e.endsWith('.tmp'))).toEqual([]);
    const again = await openStore(dir);
    stores.push(again);
    expect(again.loaded.jobs.size).toBe(100);
  });

  it('close() on a full disk says how many changes it could not save', async () => {
    const dir = await fresh();
    const disk = fillableDisk();
    const store = await openStore(dir, { io: disk.io, retryDelayMs: 10_000 });
    store.putJob(makeJob(1));
    disk.full = true;
    store.putJob(makeJob(2));
    await expect(store.close()).rejects.toThrow(/could not save 2 recent queue changes before closing/);
  });

  it('a state directory path under a regular file gives a clear error (works as root too)', async () => {
    const dir = await fresh();
    const file = path.join(dir, 'not-a-dir');
    await fsp.writeFile(file, 'x');
    const err = await openStore(path.join(file, 'state')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreIoError);
    expect((err as StoreIoError).code).toBe('state-unwritable');
    expect((err as Error).message).toContain(path.join(file, 'state'));
    expect((err as Error).message).toMatch(/cannot be written.*--state-dir/);
  });

  it('a read-only state directory gives a clear error', async (ctx) => {
    if (process.getuid?.() === 0) {
      console.log('skipped: running as root, which can write to a read-only directory; the regular-file case above covers root');
      ctx.skip();
      return;
    }
    const dir = await fresh();
    await fsp.chmod(dir, 0o500);
    const err = await openStore(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreIoError);
    expect((err as Error).message).toMatch(/cannot be written \(EACCES/);
  });
});
