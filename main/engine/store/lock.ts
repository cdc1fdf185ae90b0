/**
 * One process per state directory: `tusk.lock` holds the owner's pid, host name and start time and is created with
 * O_EXCL, so two processes cannot both create it. A lock whose process is gone (a crash, kill -9) is stale and taken
 * over; a live one makes `openStore` fail with `StoreLockedError`.
 */
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { describeIoError, errorCode } from './errors';
import { StoreLockedError } from './types';

/** The lock file's name inside the state directory. */
export const LOCK_FILE = 'tusk.lock';

/** What the lock file says. */
export interface LockInfo {
  pid: number;
  hostname: string;
  startedAt: number;
}

/** A held lock. */
export interface StateLock {
  readonly path: string;
  readonly info: LockInfo;
  /** Removes the lock file if it is still ours. */
  release(): Promise<void>;
}

/** A freshly created lock file may be empty for a moment; older unreadable ones are leftovers of a crash. */
const UNREADABLE_LOCK_GRACE_MS = 5_000;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else, so it is alive.
    return errorCode(err) !== 'ESRCH';
  }
}

function parseLock(text: string): LockInfo | undefined {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null) return undefined;
    const v = value as Record<string, unknown>;
    if (typeof v.pid !== 'number' || !Number.isInteger(v.pid) || v.pid <= 0) return undefined;
    return {
      pid: v.pid,
      hostname: typeof v.hostname === 'string' ? v.hostname : '',
      startedAt: typeof v.startedAt === 'number' ? v.startedAt : 0,
    };
  } catch {
    return undefined;
  }
}

/** Reads the current lock file, if any. */
export async function readLock(dir: string): Promise<LockInfo | undefined> {
  try {
    return parseLock(await fsp.readFile(path.join(dir, LOCK_FILE), 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Takes the lock on `dir` (which must exist). Throws `StoreLockedError` when a live process holds it, or a
 * `StoreIoError` when the directory cannot be written.
 */
export async function acquireLock(dir: string, now: () => number = Date.now): Promise<StateLock> {
  const lockPath = path.join(dir, LOCK_FILE);
  const info: LockInfo = { pid: process.pid, hostname: os.hostname(), startedAt: now() };
  const text = `${JSON.stringify(info)}\n`;
  for (let attempt = 0; attempt < 5; attempt++) {
    let handle: fsp.FileHandle | undefined;
    try {
      handle = await fsp.open(lockPath, 'wx', 0o644);
    } catch (err) {
      if (errorCode(err) !== 'EEXIST') throw describeIoError(err, dir, 'create the lock file tusk.lock');
    }
    if (handle) {
      try {
        await handle.writeFile(text, 'utf8');
        await handle.sync();
      } catch (err) {
        await handle.close().catch(() => undefined);
        await fsp.unlink(lockPath).catch(() => undefined);
        throw describeIoError(err, dir, 'write the lock file tusk.lock');
      }
      await handle.close();
      return makeLock(lockPath, info);
    }

    let existingText: string;
    let mtimeMs: number;
    try {
      existingText = await fsp.readFile(lockPath, 'utf8');
      mtimeMs = (await fsp.stat(lockPath)).mtimeMs;
    } catch (err) {
      if (errorCode(err) === 'ENOENT') continue; // released meanwhile: try again
      throw describeIoError(err, dir, 'read the lock file tusk.lock');
    }
    const existing = parseLock(existingText);
    if (existing) {
      if (existing.hostname && existing.hostname !== os.hostname()) {
        // Another machine (a shared folder): its pid means nothing here, so it cannot be called stale.
        throw new StoreLockedError(
          dir,
          existing.pid,
          `The lock was taken on the computer "${existing.hostname}". If Tusk no longer runs there, delete ${lockPath}.`,
        );
      }
      if (isAlive(existing.pid)) {
        throw new StoreLockedError(dir, existing.pid, `If no Tusk process is running, delete ${lockPath}.`);
      }
    } else if (Date.now() - mtimeMs < UNREADABLE_LOCK_GRACE_MS) {
      // Probably being written right now by a process that just created it.
      throw new StoreLockedError(dir, 0, `The lock file ${lockPath} is being written by another process; try again in a moment.`);
    }
    // Stale: remove it only if it is still the very file we judged, then race for it again with O_EXCL.
    try {
      if ((await fsp.readFile(lockPath, 'utf8')) === existingText) await fsp.unlink(lockPath);
    } catch (err) {
      if (errorCode(err) !== 'ENOENT') throw describeIoError(err, dir, 'remove the stale lock file tusk.lock');
    }
  }
  const holder = await readLock(dir);
  throw new StoreLockedError(dir, holder?.pid ?? 0, `If no Tusk process is running, delete ${lockPath}.`);
}

function makeLock(lockPath: string, info: LockInfo): StateLock {
  let released = false;
  const releaseSync = (): void => {
    if (released) return;
    released = true;
    try {
      const current = parseLock(fs.readFileSync(lockPath, 'utf8'));
      if (current && current.pid === info.pid && current.startedAt === info.startedAt) fs.unlinkSync(lockPath);
    } catch {
      // Best effort on exit: a leftover lock is stale and will be taken over.
    }
  };
  process.once('exit', releaseSync);
  return {
    path: lockPath,
    info,
    async release() {
      process.removeListener('exit', releaseSync);
      if (released) return;
      released = true;
      try {
        const current = parseLock(await fsp.readFile(lockPath, 'utf8'));
        if (current && current.pid === info.pid && current.startedAt === info.startedAt) await fsp.unlink(lockPath);
      } catch {
        // Already gone.
      }
    },
  };
}
