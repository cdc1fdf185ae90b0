import { describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { mkdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { sha256Buffer, writeRandomFile } from '../helpers/files';
import { cliFixture, jsonLines, runCli, startCli } from './run';

/** A bundled CLI, a @tus/server and a temp dir (also the XDG state home, away from ~/.local/state/tusk). */
const fx = cliFixture('tusk-queued-cli-');
let n = 0;

/** A fresh state dir per run, so runs do not resume each other's jobs. */
function stateDir(): string {
  return join(fx.tmp, `state-${++n}`);
}

/** A folder with nested dirs, unicode names and an empty file; returns sha256 by absolute path. */
async function makeFolder(name: string, big = 0): Promise<{ root: string; sums: Map<string, string> }> {
  const root = join(fx.tmp, name);
  const sums = new Map<string, string>();
  const add = async (rel: string, size: number, seed: number): Promise<void> => {
    const p = join(root, rel);
    await mkdir(join(p, '..'), { recursive: true });
    sums.set(p, await writeRandomFile(p, size, seed));
  };
  await add('top.bin', big || 70_000, 1);
  await add(join('nested', 'deeper', 'ünïcødé ☃ 文件.bin', ), big || 130_001, 2);
  await add(join('nested', 'second.dat'), big || 5_000, 3);
  const empty = join(root, 'nested', 'empty.txt');
  await writeFile(empty, '');
  sums.set(empty, sha256Buffer(new Uint8Array()));
  return { root, sums };
}

/** Checks every JSON result line: one per source, a URL, the right size, and the server stored the same bytes. */
async function expectStored(lines: Array<Record<string, unknown>>, sums: Map<string, string>, bytesOf: (file: string) => number): Promise<void> {
  expect(lines.map((l) => l.file).sort()).toEqual([...sums.keys()].sort());
  for (const l of lines) {
    expect(l.error).toBeUndefined();
    expect(l).toMatchObject({ resultUrl: null, complete: true });
    expect(typeof l.url).toBe('string');
    expect(l.bytes).toBe(bytesOf(l.file as string));
    expect(await fx.server.sha256(l.url as string)).toBe(sums.get(l.file as string));
  }
}

describe('tusk upload through the queue', () => {
  it('uploads a folder (nested, unicode, empty file) plus a single file: one JSON line per file, exit 0', async () => {
    const { root, sums } = await makeFolder('batch');
    const single = join(fx.tmp, 'single.bin');
    sums.set(single, await writeRandomFile(single, 40_000, 9));
    const sizes = new Map<string, number>([[single, 40_000], [join(root, 'top.bin'), 70_000], [join(root, 'nested', 'deeper', 'ünïcødé ☃ 文件.bin'), 130_001], [join(root, 'nested', 'second.dat'), 5_000], [join(root, 'nested', 'empty.txt'), 0]]);
    const r = await runCli(fx.bundle, ['upload', root, single, '--endpoint', fx.server.endpoint, '--state-dir', stateDir(), '--json'], fx.env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = jsonLines(r.stdout);
    expect(lines).toHaveLength(5);
    await expectStored(lines, sums, (f) => sizes.get(f) ?? -1);
  });

  it('takes the queue for a single file when --concurrency or --limit-rate is given; text output names each file', async () => {
    const file = join(fx.tmp, 'rated.bin');
    const sum = await writeRandomFile(file, 300_000, 4);
    const r = await runCli(fx.bundle, ['upload', file, '--endpoint', fx.server.endpoint, '--state-dir', stateDir(), '--concurrency', '2', '--limit-rate', '10MiB', '--chunk-size', '100KiB'], fx.env);
    expect(r.code).toBe(0);
    const [url, name] = r.stdout.trim().split('\t');
    expect(name).toBe(file);
    expect(await fx.server.sha256(url)).toBe(sum);
  });

  it('usage mistakes exit 2 and say what to fix', async () => {
    const { root } = await makeFolder('usage');
    const cases: Array<[string[], RegExp]> = [
      [['upload', root], /Missing --endpoint/],
      [['upload', root, '--endpoint', 'not a url'], /Invalid --endpoint/],
      [['upload', root, '--endpoint', fx.server.endpoint, '--limit-rate', 'fast'], /--limit-rate "fast" is not a rate/],
      [['upload', root, '--endpoint', fx.server.endpoint, '--concurrency', '0'], /Invalid --concurrency/],
      [['upload', root, '--endpoint', fx.server.endpoint, '--concurrency', '65'], /from 1 to 64/],
      [['upload', root, '--endpoint', fx.server.endpoint, '--stop-at', '10'], /--stop-at is not available when uploading folders/],
      [['upload', root, '--endpoint', fx.server.endpoint, '--ca', join(fx.tmp, 'nope.pem')], /Cannot read --ca/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(fx.bundle, [...args, '--state-dir', stateDir(), '--json'], fx.env);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });

  it('an unreachable server exits 1 at once with a clear message on stderr', async () => {
    const { root } = await makeFolder('unreachable');
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const started = Date.now();
    const r = await runCli(fx.bundle, ['upload', root, '--endpoint', `http://127.0.0.1:${port}/files`, '--state-dir', stateDir(), '--json'], fx.env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Could not connect: connection refused/);
    expect(r.stderr).toMatch(/Check that the server is running/);
    expect(jsonLines(r.stdout)).toEqual([expect.objectContaining({ error: expect.objectContaining({ code: 'network' }) })]);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('a missing path among folders is reported and exits 1; the rest is uploaded', async () => {
    const { root, sums } = await makeFolder('partial');
    const missing = join(fx.tmp, 'does-not-exist.bin');
    const r = await runCli(fx.bundle, ['upload', root, missing, '--endpoint', fx.server.endpoint, '--state-dir', stateDir(), '--json'], fx.env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(missing);
    const lines = jsonLines(r.stdout);
    expect(lines.map((l) => l.file).sort()).toEqual([...sums.keys()].sort());
    for (const l of lines) expect(await fx.server.sha256(l.url as string)).toBe(sums.get(l.file as string));
  });

  it('`tusk queue resume` finishes an upload whose process was SIGKILLed mid-way', async () => {
    const { root, sums } = await makeFolder('killed', 700_000);
    sums.delete(join(root, 'nested', 'empty.txt'));
    await writeFile(join(root, 'nested', 'empty.txt'), 'x');
    sums.set(join(root, 'nested', 'empty.txt'), sha256Buffer(new TextEncoder().encode('x')));
    const dir = stateDir();
    const before = new Set(await fx.server.uploadIds());
    const { child, done } = startCli(fx.bundle, ['upload', root, '--endpoint', fx.server.endpoint, '--state-dir', dir, '--limit-rate', '1MiB', '--chunk-size', '256KiB', '--json'], fx.env);
    // Kill once the server holds some bytes but not all (3 × 700 kB at 1 MiB/s takes ~2 s).
    const deadline = Date.now() + 10_000;
    for (;;) {
      const fresh = (await fx.server.uploadIds()).filter((id) => !before.has(id));
      if (fresh.length > 0) break;
      if (Date.now() > deadline) throw new Error('the upload never reached the server');
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 400));
    child.kill('SIGKILL');
    const killed = await done;
    expect(killed.signal).toBe('SIGKILL');
    expect(killed.stdout).toBe('');
    // It really was mid-way: the server holds fewer bytes than the sources.
    let stored = 0;
    for (const id of (await fx.server.uploadIds()).filter((i) => !before.has(i))) stored += (await stat(fx.server.storedPath(id))).size;
    expect(stored).toBeGreaterThan(0);
    expect(stored).toBeLessThan(3 * 700_000);

    const r = await runCli(fx.bundle, ['queue', 'resume', '--state-dir', dir, '--json'], fx.env);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout) as { completed: number; failed: number; jobs: Array<{ path: string; uploadUrl: string; status: string }> };
    expect(summary.failed).toBe(0);
    expect(summary.jobs.map((j) => j.path).sort()).toEqual([...sums.keys()].sort());
    for (const j of summary.jobs) {
      expect(j.status).toBe('completed');
      expect(await fx.server.sha256(j.uploadUrl)).toBe(sums.get(j.path));
    }
  });

  it('`tusk queue list` of a state dir never used prints an empty queue and does not create the dir', async () => {
    const dir = stateDir();
    const text = await runCli(fx.bundle, ['queue', 'list', '--state-dir', dir], fx.env);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toBe('The queue is empty.\n');
    const json = await runCli(fx.bundle, ['queue', 'list', '--state-dir', dir, '--json'], fx.env);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual([]);
    await expect(stat(dir)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('a corrupt profiles.json or settings.json in the state dir: exit 1 naming the file, the file left as it was, nothing queued', async () => {
    const file = join(fx.tmp, 'for-corrupt.bin');
    await writeRandomFile(file, 10_000, 4);
    for (const name of ['profiles.json', 'settings.json']) {
      const dir = stateDir();
      await mkdir(dir, { recursive: true });
      const damaged = '{"profiles": [{"id": "p1", "endpoint": "http://x/files/"}';
      await writeFile(join(dir, name), damaged);
      const r = await runCli(fx.bundle, ['upload', file, '--concurrency', '1', '--endpoint', fx.server.endpoint, '--state-dir', dir], fx.env);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`${join(dir, name)} is not valid JSON`);
      expect(r.stderr).toMatch(/Fix or delete the file/);
      expect(await readFile(join(dir, name), 'utf8')).toBe(damaged);
      // Once the file is deleted as the message says, the state dir works again, and nothing was queued meanwhile.
      await rm(join(dir, name));
      const list = await runCli(fx.bundle, ['queue', 'list', '--state-dir', dir, '--json'], fx.env);
      expect(list.code, list.stderr).toBe(0);
      expect(JSON.parse(list.stdout)).toEqual([]);
    }
  });

  it('a folder with a symbolic link and a named pipe: both named on stderr; --follow-symlinks uploads what the link points to, for that run only', async () => {
    const root = join(fx.tmp, 'linked');
    await mkdir(root, { recursive: true });
    const outside = join(fx.tmp, 'outside.bin');
    const outsideSum = await writeRandomFile(outside, 20_000, 11);
    const plainSum = await writeRandomFile(join(root, 'plain.bin'), 10_000, 12);
    await symlink(outside, join(root, 'alias.bin'));
    execFileSync('mkfifo', [join(root, 'pipe')]);
    const dir = stateDir();
    const off = await runCli(fx.bundle, ['upload', root, '--endpoint', fx.server.endpoint, '--state-dir', dir, '--json'], fx.env);
    expect(off.code, off.stderr).toBe(0);
    expect(jsonLines(off.stdout).map((l) => l.file)).toEqual([join(root, 'plain.bin')]);
    expect(off.stderr).toContain(`skipped ${join(root, 'alias.bin')}: Symbolic link skipped`);
    expect(off.stderr).toContain('--follow-symlinks');
    expect(off.stderr).toContain(`skipped ${join(root, 'pipe')}: Not a regular file (a named pipe, socket or device)`);
    const dir2 = stateDir();
    const on = await runCli(fx.bundle, ['upload', root, '--follow-symlinks', '--endpoint', fx.server.endpoint, '--state-dir', dir2, '--json'], fx.env);
    expect(on.code, on.stderr).toBe(0);
    const lines = jsonLines(on.stdout);
    expect(lines.map((l) => l.file).sort()).toEqual([join(root, 'alias.bin'), join(root, 'plain.bin')]);
    const byFile = new Map(lines.map((l) => [l.file as string, l.url as string]));
    expect(await fx.server.sha256(byFile.get(join(root, 'alias.bin'))!)).toBe(outsideSum);
    expect(await fx.server.sha256(byFile.get(join(root, 'plain.bin'))!)).toBe(plainSum);
    expect(on.stderr).not.toContain('Symbolic link skipped');
    // For that run only: the state dir's settings do not now follow links.
    const saved = await readFile(join(dir2, 'settings.json'), 'utf8').catch(() => '{}');
    expect(JSON.parse(saved).followSymlinks ?? false).toBe(false);
  });
});
