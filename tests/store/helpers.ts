/**
 * Shared helpers of the store tests: temp dirs, sample records, a child process running the store. No vitest import
 * here: bench/store.ts uses `makeJob` too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HistoryEntry, ServerProfile } from '../../shared/types';
import type { BatchRecord, JobRecord } from '../../main/engine/store/types';
import { openStore, type JournalStore } from '../../main/engine/store/index';

/** A fresh temp directory; remove it with `cleanup`. */
export async function tempDir(): Promise<string> {
  return fsp.mkdtemp(path.join(os.tmpdir(), 'tusk-store-'));
}

/**
 * The temp dirs and open stores of one test file: `fresh` makes a dir, `open` opens a store (with `defaults` under
 * the given options), `stores` takes stores opened otherwise; `cleanup` (for `afterEach`) closes them all and removes
 * the dirs, restoring their permissions first so a test that made one read-only cannot leave it behind.
 */
export function storeScratch(defaults: Parameters<typeof openStore>[1] = {}): {
  stores: JournalStore[];
  fresh(): Promise<string>;
  open(dir: string, options?: Parameters<typeof openStore>[1]): Promise<JournalStore>;
  cleanup(): Promise<void>;
} {
  const dirs: string[] = [];
  const stores: JournalStore[] = [];
  return {
    stores,
    async fresh() {
      const dir = await tempDir();
      dirs.push(dir);
      return dir;
    },
    async open(dir, options = {}) {
      const store = await openStore(dir, { ...defaults, ...options });
      stores.push(store);
      return store;
    },
    async cleanup() {
      for (const s of stores.splice(0)) await s.close().catch(() => undefined);
      for (const d of dirs.splice(0)) {
        await fsp.chmod(d, 0o700).catch(() => undefined);
        await fsp.rm(d, { recursive: true, force: true });
      }
    },
  };
}

/** A realistic job record. */
export function makeJob(i: number, extra: Partial<JobRecord> = {}): JobRecord {
  return {
    id: `job-${i}`,
    batchId: i % 10 === 0 ? 'batch-1' : undefined,
    profileId: 'profile-1',
    path: `/home/user/photos/2024/img-${i}.jpg`,
    name: `img-${i}.jpg`,
    relativePath: `2024/img-${i}.jpg`,
    size: 1_000_000 + i,
    mtimeMs: 1_700_000_000_000 + i,
    metadata: { filename: `img-${i}.jpg`, filetype: 'image/jpeg' },
    status: 'queued',
    priority: 0,
    order: i,
    offset: 0,
    attempt: 0,
    createdAt: 1_700_000_000_000,
    attemptLog: [],
    ...extra,
  };
}

/** A batch record. */
export function makeBatch(id: string): BatchRecord {
  return { id, profileId: 'profile-1', name: 'photos', rootPath: '/home/user/photos', problems: [{ path: '/home/user/photos/x', reason: 'unreadable' }], createdAt: 1 };
}

/** A history entry. */
export function makeHistory(i: number): HistoryEntry {
  return {
    id: `h-${i}`,
    jobId: `job-${i}`,
    path: `/p/${i}`,
    name: `${i}.bin`,
    profileId: 'profile-1',
    endpoint: 'http://127.0.0.1:1/files/',
    uploadUrl: `http://127.0.0.1:1/files/${i}`,
    size: i,
    durationMs: 10,
    averageSpeed: 100,
    finishedAt: 1_700_000_000_000 + i,
  };
}

/** A server profile. */
export function makeProfile(id: string): ServerProfile {
  return {
    id,
    name: 'Local',
    endpoint: 'http://127.0.0.1:1080/files/',
    headers: [{ name: 'X-Team', value: 'blue', secret: false }],
    chunkSize: 0,
    checksum: 'auto',
    parallelUploads: 1,
    verifyTls: true,
    maxConcurrent: 2,
  };
}

const here = path.dirname(fileURLToPath(import.meta.url));

/** Runs `fixtures/child.ts <mode> <dir> [count]` in a plain Node child (through tsx). */
export function spawnChild(mode: 'hold' | 'crash', dir: string, count = 0): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', path.join(here, 'fixtures', 'child.ts'), mode, dir, String(count)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/** Resolves with the child's first stdout line (or rejects with its stderr if it exits first). */
export function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const nl = out.indexOf('\n');
      if (nl !== -1) resolve(out.slice(0, nl));
    });
    child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('exit', (code, signal) => reject(new Error(`child exited (${code ?? signal}) before printing: ${err}`)));
  });
}

/** Waits for the child to exit; resolves with its signal or code. */
export function exited(child: ChildProcess): Promise<string> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(String(child.signalCode ?? child.exitCode));
    else child.on('exit', (code, signal) => resolve(String(signal ?? code)));
  });
}
