/** Small JSON files written atomically (temp file, fsync, rename): a crash leaves the old or the new file, never half. */
import { open, readFile, rename, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Reads a JSON file; `undefined` when it does not exist. A corrupt file is an error naming the file. */
export async function readJsonFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new Error(`${path} is not valid JSON (${(err as Error).message}). Fix or delete the file; Tusk will recreate it with defaults.`);
  }
}

/** Writes `value` as JSON atomically. */
export async function writeJsonFile(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(JSON.stringify(value, null, 2) + '\n', 'utf8');
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
}
