/** The queue's small parts: limiter fairness and accuracy, folder scan, CSV quoting, rates, backoff, the plan. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { TokenBucketLimiter } from '../../main/engine/queue/limiter';
import { NOT_A_FILE, SYMLINK_SKIPPED, compileIgnore, scanFolder } from '../../main/engine/queue/scan';
import { csvField, historyToCsv, mimeTypeOf } from '../../main/engine/queue/history';
import { retryDelay } from '../../main/engine/queue/queue';
import { planFor } from '../../main/engine/api';
import { parseRate } from '../../main/cli/commands/queued-upload';
import { makeTempDir, removeDir } from '../helpers/files';

let dir: string;
beforeAll(async () => {
  dir = await makeTempDir('tusk-queue-units-');
});
afterAll(async () => {
  await removeDir(dir);
});

describe('TokenBucketLimiter', () => {
  it('shares the rate fairly between a big and a small taker, and holds the rate', async () => {
    const limiter = new TokenBucketLimiter(400_000);
    const t0 = performance.now();
    let smallDone = 0;
    let bigDone = 0;
    const big = limiter.take(300_000).then(() => (bigDone = performance.now() - t0));
    const small = (async () => {
      for (let i = 0; i < 5; i++) await limiter.take(16_000);
      smallDone = performance.now() - t0;
    })();
    await Promise.all([big, small]);
    // The small taker is not stuck behind the big one: it finishes first.
    expect(smallDone).toBeLessThan(bigDone);
    // 380 kB at 400 kB/s (minus one small burst) cannot take less than ~0.8 s.
    expect(bigDone).toBeGreaterThanOrEqual(750);
  });

  it('changes rate while waiting, and 0 releases everyone', async () => {
    const limiter = new TokenBucketLimiter(1000);
    const t0 = performance.now();
    const p = limiter.take(100_000);
    setTimeout(() => limiter.setRate(0), 100);
    await p;
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('rejects a waiting take when its signal aborts', async () => {
    const limiter = new TokenBucketLimiter(1000);
    const ac = new AbortController();
    const p = limiter.take(100_000, ac.signal);
    ac.abort();
    await expect(p).rejects.toMatchObject({ code: 'aborted' });
  });
});

describe('scanFolder', () => {
  it('walks nested folders, skips ignored names, and keeps relative paths under the folder name', async () => {
    const root = join(dir, 'tree');
    for (let i = 0; i < 5; i++) {
      await mkdir(join(root, `d${i}`, 'x y'), { recursive: true });
      for (let j = 0; j < 20; j++) await writeFile(join(root, `d${i}`, 'x y', `f${j}.txt`), String(j));
    }
    await writeFile(join(root, 'desktop.ini'), '');
    await writeFile(join(root, 'note.tmp'), '');
    const { files, problems } = await scanFolder(root, { ignorePatterns: ['desktop.ini', '*.tmp'] });
    expect(problems).toEqual([]);
    expect(files).toHaveLength(100);
    expect(files.map((f) => f.relativePath)).toContain('tree/d3/x y/f7.txt');
    expect(files.find((f) => f.relativePath === 'tree/d0/x y/f11.txt')?.size).toBe(2);
  });

  it('names every entry it does not queue: a named pipe, a socket, a symbolic link when not following them', async (ctx) => {
    if (process.platform === 'win32') {
      console.log('skipped: no mkfifo or Unix sockets on Windows');
      return ctx.skip();
    }
    const root = join(dir, 'specials');
    await mkdir(join(root, 'sub'), { recursive: true });
    await writeFile(join(root, 'plain.txt'), 'x');
    await writeFile(join(root, 'sub', 'inner.txt'), 'y');
    execFileSync('mkfifo', [join(root, 'pipe')]);
    const sock = createServer().listen(join(root, 'sock'));
    await new Promise((r) => sock.once('listening', r));
    await symlink(join(root, 'plain.txt'), join(root, 'alias.txt'));
    await symlink(join(root, 'pipe'), join(root, 'pipe-link'));
    try {
      const off = await scanFolder(root, { followSymlinks: false });
      expect(off.files.map((f) => f.relativePath).sort()).toEqual(['specials/plain.txt', 'specials/sub/inner.txt']);
      const reasons = new Map(off.problems.map((p) => [p.path.slice(root.length + 1), p.reason]));
      expect(reasons.get('pipe')).toBe(NOT_A_FILE);
      expect(reasons.get('sock')).toBe(NOT_A_FILE);
      expect(reasons.get('alias.txt')).toBe(SYMLINK_SKIPPED);
      expect(reasons.get('pipe-link')).toBe(SYMLINK_SKIPPED);
      expect(reasons.size).toBe(4);
      expect(SYMLINK_SKIPPED).toMatch(/--follow-symlinks/);
      const on = await scanFolder(root, { followSymlinks: true });
      expect(on.files.map((f) => f.relativePath).sort()).toEqual(['specials/alias.txt', 'specials/plain.txt', 'specials/sub/inner.txt']);
      expect(new Map(on.problems.map((p) => [p.path.slice(root.length + 1), p.reason]))).toEqual(
        new Map([['pipe', NOT_A_FILE], ['sock', NOT_A_FILE], ['pipe-link', NOT_A_FILE]]),
      );
    } finally {
      sock.close();
    }
  });

  it('compiles glob-like patterns', () => {
    const m = compileIgnore(['*.tmp', 'a?c', '.DS_Store']);
    expect([m('x.tmp'), m('abc'), m('abbc'), m('.DS_Store'), m('DS_Store'), m('x.tmpl')]).toEqual([true, true, false, true, false, false]);
  });
});

describe('history export', () => {
  it('quotes CSV fields with commas, quotes and line breaks', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField(undefined)).toBe('');
    const csv = historyToCsv([
      { id: 'h', jobId: 'j', path: '/x/a,b.txt', name: 'a,b.txt', profileId: 'p', endpoint: 'http://e/files', uploadUrl: 'http://e/files/1', size: 3, durationMs: 10, averageSpeed: 300, finishedAt: 0 },
    ]);
    const lines = csv.split('\r\n');
    expect(lines[0].split(',')).toContain('name');
    expect(lines[1]).toContain('"a,b.txt"');
    expect(lines[1].startsWith('1970-01-01T00:00:00.000Z,')).toBe(true);
  });

  it('guesses file types from extensions', () => {
    expect(mimeTypeOf('a.JPG')).toBe('image/jpeg');
    expect(mimeTypeOf('noext')).toBe('application/octet-stream');
  });
});

describe('rates, backoff and the plan', () => {
  it('parses rates', () => {
    expect(parseRate('1048576')).toBe(1048576);
    expect(parseRate('10MiB')).toBe(10 * 1024 * 1024);
    expect(parseRate('500k')).toBe(512_000);
    expect(parseRate('2MB')).toBe(2_000_000);
    expect(parseRate('1.5M/s')).toBe(1.5 * 1024 * 1024);
    expect(() => parseRate('fast')).toThrow(/not a rate/);
  });

  it('backs off exponentially with a cap', () => {
    const mid = () => 0.5;
    expect(retryDelay(1, 1000, 60_000, mid)).toBe(1000);
    expect(retryDelay(3, 1000, 60_000, mid)).toBe(4000);
    expect(retryDelay(30, 1000, 60_000, mid)).toBe(60_000);
    expect(retryDelay(2, 1000, 60_000, () => 0)).toBe(1600);
  });

  it('plans checksum, parallel uploads and termination from the server', () => {
    const p = { chunkSize: 1024, checksum: 'auto' as const, parallelUploads: 3 };
    expect(planFor(p, ['creation', 'checksum', 'termination'], ['md5', 'sha1']).plan).toMatchObject({ checksum: 'sha1', parallelUploads: 1, termination: true });
    expect(planFor(p, ['concatenation'], []).plan).toMatchObject({ checksum: 'none', parallelUploads: 3 });
    const bad = planFor({ ...p, checksum: 'sha256' }, ['checksum'], ['sha1']);
    expect(bad.error?.code).toBe('unsupported');
  });
});
