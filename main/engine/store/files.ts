/** File names inside the state directory and small filesystem helpers. */
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { errorCode } from './errors';

/** The snapshot: a header line, one line per record, an end line. Replaced atomically by compaction. */
export const SNAPSHOT_FILE = 'snapshot.jsonl';
/** The append-only journal of changes since the snapshot. */
export const JOURNAL_FILE = 'journal.jsonl';

/** Reads a whole file, or undefined when it does not exist. */
export async function readIfExists(file: string): Promise<Buffer | undefined> {
  try {
    return await fsp.readFile(file);
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return undefined;
    throw err;
  }
}

/** Makes a rename inside `dir` durable. Some platforms (Windows) cannot open a directory: then there is nothing to do. */
export async function fsyncDir(dir: string): Promise<void> {
  let handle: fsp.FileHandle | undefined;
  try {
    handle = await fsp.open(dir, 'r');
    await handle.sync();
  } catch (err) {
    const code = errorCode(err);
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EACCES') throw err;
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/** A file-name-safe timestamp, e.g. `2025-01-31T12-00-00-000Z`. */
export function fileStamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[:.]/g, '-');
}

/** A path next to `file` that does not exist yet: `<file>.<label>-<stamp>[-n]`. */
export async function asidePath(dir: string, base: string, label: string, ms: number): Promise<string> {
  const stem = path.join(dir, `${base.replace(/\.jsonl$/, '')}.${label}-${fileStamp(ms)}`);
  for (let n = 0; ; n++) {
    const candidate = n === 0 ? stem : `${stem}-${n}`;
    try {
      await fsp.access(candidate);
    } catch {
      return candidate;
    }
  }
}
