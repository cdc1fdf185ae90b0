/**
 * Ctrl-C during `tusk upload`: a real CLI child process gets SIGINT mid-upload (a trickling proxy or `--limit-rate`
 * keeps it mid-way). It must stop within a second with exit 130, say on stderr how to continue, and leave the upload
 * resumable: continuing it the way it says finishes the same server upload, byte-identical to the source.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { build } from 'esbuild';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { startTusNodeServer, uploadIdOf, type TusNodeServer } from '../servers/tus-node';
import { startFaultProxy, type FaultProxy } from '../servers/fault-proxy';
import { makeTempDir, removeDir, writeRandomFile } from '../helpers/files';
import { bundleCli, jsonLines, runCli, startCli, type CliRun } from './run';

/** Every PATCH body crawls, so an upload is reliably mid-way when the signal comes. */
const TRICKLE = { kind: 'trickle', bytesPerSecond: 256 * 1024, match: { method: 'PATCH', times: Infinity } } as const;

let tmp: string;
let bundle: string;
let server: TusNodeServer;
let proxy: FaultProxy;
let env: Record<string, string>;

beforeAll(async () => {
  tmp = await makeTempDir('tusk-sigint-');
  bundle = await bundleCli(tmp);
  server = await startTusNodeServer();
  proxy = await startFaultProxy({ target: server.origin });
  proxy.addFault(TRICKLE);
  env = { XDG_STATE_HOME: join(tmp, 'xdg') };
});

afterAll(async () => {
  await proxy?.close();
  await server?.close();
  if (tmp) await removeDir(tmp);
});

/** Runs `fn` with the proxy at full speed (resumes need not crawl), then slows it down again. */
async function fullSpeed<T>(fn: () => Promise<T>): Promise<T> {
  proxy.clearFaults();
  try {
    return await fn();
  } finally {
    proxy.addFault(TRICKLE);
  }
}

/** Bytes the server stores for uploads created since `before`. */
async function storedSince(before: Set<string>): Promise<number> {
  let total = 0;
  for (const id of await server.uploadIds()) {
    if (before.has(id)) continue;
    total += (await stat(server.storedPath(id)).catch(() => ({ size: 0 }))).size;
  }
  return total;
}

/** Waits until the server holds at least `bytes` of new uploads. */
async function waitForStored(before: Set<string>, bytes: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  while ((await storedSince(before)) < bytes) {
    if (Date.now() > deadline) throw new Error(`the server never got ${bytes} bytes`);
    await new Promise((r) => setTimeout(r, 30));
  }
}

/** Sends the signal(s) and returns the run and how long the process took to end after the first one. */
async function interrupt(child: ChildProcess, done: Promise<CliRun>, times = 1): Promise<{ run: CliRun; ms: number }> {
  const t0 = performance.now();
  for (let i = 0; i < times; i++) child.kill('SIGINT');
  const run = await done;
  return { run, ms: performance.now() - t0 };
}

describe('Ctrl-C during tusk upload', () => {
  it('direct: stops within a second, exit 130, prints the exact `tusk resume` command; running it finishes the same upload', async () => {
    const file = join(tmp, 'direct.bin');
    const sum = await writeRandomFile(file, 2 * 1024 * 1024, 21);
    const before = new Set(await server.uploadIds());
    const endpoint = proxy.endpointFor(server.endpoint);
    const { child, done } = startCli(bundle, ['upload', file, '--endpoint', endpoint, '--chunk-size', '256KiB', '--json'], env);
    await waitForStored(before, 300 * 1024);
    const { run, ms } = await interrupt(child, done);
    expect(run.code, run.stderr).toBe(130);
    expect(ms).toBeLessThan(1000);
    // --json: stdout holds only JSON lines; the interrupted file is one error line with the upload URL.
    const [line] = jsonLines(run.stdout);
    expect(jsonLines(run.stdout)).toHaveLength(1);
    expect(line).toMatchObject({ file, error: { code: 'interrupted' } });
    const url = line.url as string;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/files\/\w+$/);
    expect(run.stderr).toMatch(/stopping \(uploads stay resumable\)/);
    // The hint is a command that can be pasted: run it as printed.
    const hint = /`(tusk resume [^`]+)`/.exec(run.stderr)?.[1];
    expect(hint, run.stderr).toBe(`tusk resume ${file} --url ${url} --endpoint ${endpoint}`);
    const storedAtStop = await storedSince(before);
    expect(storedAtStop).toBeLessThan(2 * 1024 * 1024);

    const resumed = await fullSpeed(() => runCli(bundle, [...hint!.split(' ').slice(1), '--json'], env));
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/resuming at byte [1-9]\d*/);
    expect(jsonLines(resumed.stdout)).toEqual([expect.objectContaining({ file, url, complete: true, bytes: 2 * 1024 * 1024 })]);
    expect(await server.sha256(url)).toBe(sum);
    // One server upload for the file: resumed, not started again.
    expect((await server.uploadIds()).filter((id) => !before.has(id))).toEqual([uploadIdOf(url)]);
  });

  it('standard input: the hint says to pipe the same data into `tusk resume -`; doing so finishes the same upload', async () => {
    const file = join(tmp, 'stdin.bin');
    const sum = await writeRandomFile(file, 2 * 1024 * 1024, 24);
    const before = new Set(await server.uploadIds());
    const endpoint = proxy.endpointFor(server.endpoint);
    const { child, done } = startCli(bundle, ['upload', '-', '--endpoint', endpoint, '--chunk-size', '256KiB', '--json'], env, file);
    await waitForStored(before, 300 * 1024);
    const { run, ms } = await interrupt(child, done);
    expect(run.code, run.stderr).toBe(130);
    expect(ms).toBeLessThan(1000);
    const [line] = jsonLines(run.stdout);
    expect(line).toMatchObject({ file: '-', error: { code: 'interrupted' } });
    const url = line.url as string;
    expect(run.stderr).toMatch(/Interrupted: stdin stopped at byte \d+\./);
    const hint = /pipe the same data into `(tusk resume [^`]+)`[^;]*; the bytes the server already has are skipped/.exec(run.stderr)?.[1];
    expect(hint, run.stderr).toBe(`tusk resume - --url ${url} --endpoint ${endpoint}`);

    const resumed = await fullSpeed(() => runCli(bundle, [...hint!.split(' ').slice(1), '--json'], env, 30_000, file));
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/resuming at byte [1-9]\d*/);
    expect(jsonLines(resumed.stdout)).toEqual([expect.objectContaining({ file: '-', url, complete: true, bytes: 2 * 1024 * 1024 })]);
    expect(await server.sha256(url)).toBe(sum);
    expect((await server.uploadIds()).filter((id) => !before.has(id))).toEqual([uploadIdOf(url)]);
  });

  it('direct with --state-dir and several files: files not started are named; the same command again resumes', async () => {
    const a = join(tmp, 'sd-a.bin');
    const b = join(tmp, 'sd-b.bin');
    const sums = [await writeRandomFile(a, 1024 * 1024, 22), await writeRandomFile(b, 100 * 1024, 23)];
    const state = join(tmp, 'state-direct');
    const args = ['upload', a, b, '--endpoint', proxy.endpointFor(server.endpoint), '--chunk-size', '128KiB', '--state-dir', state];
    const before = new Set(await server.uploadIds());
    const { child, done } = startCli(bundle, args, env);
    await waitForStored(before, 200 * 1024);
    const { run, ms } = await interrupt(child, done);
    expect(run.code, run.stderr).toBe(130);
    expect(ms).toBeLessThan(1000);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/Interrupted: .*sd-a\.bin stopped at byte \d+\./);
    expect(run.stderr).toMatch(/or run the same `tusk upload` again \(with --state-dir it resumes by itself\)/);
    expect(run.stderr).toContain(`not started: ${b}`);

    const again = await fullSpeed(() => runCli(bundle, args, env));
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/sd-a\.bin: resuming at byte [1-9]\d*/);
    const urls = again.stdout.trim().split('\n');
    expect(urls).toHaveLength(2);
    expect([await server.sha256(urls[0]), await server.sha256(urls[1])]).toEqual(sums);
    expect((await server.uploadIds()).filter((id) => !before.has(id)).sort()).toEqual(urls.map(uploadIdOf).sort());
  });

  it('queued: stops within a second, exit 130, says `tusk queue resume --state-dir …`; that finishes every file once', async () => {
    const folder = join(tmp, 'folder');
    await mkdir(join(folder, 'sub'), { recursive: true });
    const sums = new Map<string, string>();
    for (const [rel, size, seed] of [['one.bin', 700_000, 31], [join('sub', 'two.bin'), 500_000, 32], [join('sub', 'three.bin'), 300_000, 33]] as const)
      sums.set(join(folder, rel), await writeRandomFile(join(folder, rel), size, seed));
    const state = join(tmp, 'state-queued');
    const before = new Set(await server.uploadIds());
    const { child, done } = startCli(bundle, ['upload', folder, '--endpoint', server.endpoint, '--state-dir', state, '--limit-rate', '512KiB', '--chunk-size', '128KiB', '--json'], env);
    await waitForStored(before, 200 * 1024);
    const { run, ms } = await interrupt(child, done);
    expect(run.code, run.stderr).toBe(130);
    expect(ms).toBeLessThan(1000);
    expect(run.stderr).toContain(`Run \`tusk queue resume --state-dir ${state}\`, or the same command again, to continue where it stopped.`);
    // Only JSON lines on stdout: one per file, the unfinished ones marked interrupted.
    const lines = jsonLines(run.stdout);
    expect(lines.map((l) => l.file).sort()).toEqual([...sums.keys()].sort());
    expect(lines.filter((l) => (l.error as { code?: string } | undefined)?.code === 'interrupted').length).toBeGreaterThan(0);
    expect(await storedSince(before)).toBeLessThan(1_500_000);

    const resumed = await runCli(bundle, ['queue', 'resume', '--state-dir', state, '--json'], env);
    expect(resumed.code, resumed.stderr).toBe(0);
    const summary = JSON.parse(resumed.stdout) as { failed: number; jobs: Array<{ path: string; uploadUrl: string; status: string }> };
    expect(summary.failed).toBe(0);
    expect(summary.jobs.map((j) => j.path).sort()).toEqual([...sums.keys()].sort());
    for (const j of summary.jobs) expect(await server.sha256(j.uploadUrl)).toBe(sums.get(j.path));
    // No file became two server uploads.
    expect((await server.uploadIds()).filter((id) => !before.has(id)).sort()).toEqual(summary.jobs.map((j) => uploadIdOf(j.uploadUrl)).sort());
  });

  it('queued: running the same `tusk upload` again after Ctrl-C continues the same server uploads', async () => {
    const folder = join(tmp, 'rerun');
    await mkdir(folder, { recursive: true });
    const sums = new Map<string, string>();
    for (const [name, size, seed] of [['x.bin', 500_000, 61], ['y.bin', 400_000, 62]] as const)
      sums.set(join(folder, name), await writeRandomFile(join(folder, name), size, seed));
    const state = join(tmp, 'state-rerun');
    const args = ['upload', folder, '--endpoint', server.endpoint, '--state-dir', state, '--limit-rate', '512KiB', '--chunk-size', '64KiB', '--json'];
    const before = new Set(await server.uploadIds());
    const { child, done } = startCli(bundle, args, env);
    await waitForStored(before, 150 * 1024);
    expect((await interrupt(child, done)).run.code).toBe(130);
    const stored = await storedSince(before);
    expect(stored).toBeLessThan(900_000);

    const again = await runCli(bundle, args, env);
    expect(again.code, again.stderr + again.stdout).toBe(0);
    expect(again.stderr).toMatch(/continuing the earlier upload of .*(x|y)\.bin/);
    expect(again.stderr).not.toMatch(/skipped/);
    const lines = jsonLines(again.stdout);
    expect(lines.map((l) => l.file).sort()).toEqual([...sums.keys()].sort());
    for (const l of lines) expect(await server.sha256(l.url as string)).toBe(sums.get(l.file as string));
    expect((await server.uploadIds()).filter((id) => !before.has(id)).sort()).toEqual(lines.map((l) => uploadIdOf(l.url as string)).sort());
  });

  it('two Ctrl-C in a row: the CLI still exits 130 and the state stays resumable', async () => {
    const file = join(tmp, 'twice.bin');
    const sum = await writeRandomFile(file, 1024 * 1024, 41);
    const state = join(tmp, 'state-twice');
    const before = new Set(await server.uploadIds());
    const { child, done } = startCli(bundle, ['upload', file, '--endpoint', server.endpoint, '--state-dir', state, '--limit-rate', '256KiB', '--chunk-size', '64KiB'], env);
    await waitForStored(before, 64 * 1024);
    const { run, ms } = await interrupt(child, done, 2);
    expect(run.code, run.stderr).toBe(130);
    expect(ms).toBeLessThan(1000);
    expect(run.stderr).toContain(`Run \`tusk queue resume --state-dir ${state}\`, or the same command again, to continue where it stopped.`);
    expect(run.stdout).toBe('');

    const resumed = await runCli(bundle, ['queue', 'resume', '--state-dir', state], env);
    expect(resumed.code, resumed.stderr).toBe(0);
    const [name, url] = resumed.stdout.trim().split('\t');
    expect(name).toBe(file);
    expect(await server.sha256(url)).toBe(sum);
  });

  it('a second Ctrl-C while the first is still cleaning up quits at once with exit 130 and the hint', async () => {
    // The CLI's own clean-up is too quick to catch in between, so a small program uses the same trap and takes 10 s
    // to clean up after the first signal.
    const entry = join(tmp, 'slow-stop.ts');
    await writeFile(
      entry,
      `import { trapInterrupt } from ${JSON.stringify(join(import.meta.dirname, '..', '..', 'main', 'cli', 'interrupt.ts'))};
const trap = trapInterrupt();
trap.hint = 'Run \`tusk queue resume --state-dir /x\` to continue.';
process.stdout.write('ready\\n');
trap.signal.addEventListener('abort', () => { process.stdout.write('cleaning up\\n'); setTimeout(() => process.exit(0), 10_000); });
setTimeout(() => process.exit(3), 20_000);
`,
    );
    const outfile = join(tmp, 'slow-stop.mjs');
    await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', outfile, logLevel: 'error' });
    const child = spawn(process.execPath, [outfile], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const seen = (text: string): Promise<void> =>
      new Promise((resolve) => {
        const check = (): void => {
          if (stdout.includes(text)) resolve();
        };
        child.stdout.on('data', (d: Buffer) => {
          stdout += d.toString();
          check();
        });
        check();
      });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    await seen('ready');
    child.kill('SIGINT');
    await seen('cleaning up');
    const t0 = performance.now();
    child.kill('SIGINT');
    const code = await closed;
    expect(code, stderr).toBe(130);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(stderr).toBe(
      'tusk: stopping (uploads stay resumable); press Ctrl-C again to quit at once.\n' +
        'tusk: quitting now. Run `tusk queue resume --state-dir /x` to continue.\n',
    );
  });

  it('Ctrl-C during `tusk queue resume` stops it the same way (exit 130, resumable)', async () => {
    const file = join(tmp, 'qr.bin');
    const sum = await writeRandomFile(file, 1024 * 1024, 51);
    const state = join(tmp, 'state-qr');
    const before = new Set(await server.uploadIds());
    // Queue it through the slow proxy and stop it, then resume (still slow) and stop that too.
    const first = startCli(bundle, ['upload', file, '--endpoint', proxy.endpointFor(server.endpoint), '--state-dir', state, '--concurrency', '1', '--chunk-size', '128KiB'], env);
    await waitForStored(before, 64 * 1024);
    expect((await interrupt(first.child, first.done)).run.code).toBe(130);
    const stored = await storedSince(before);
    const second = startCli(bundle, ['queue', 'resume', '--state-dir', state], env);
    await waitForStored(before, stored + 64 * 1024);
    const { run, ms } = await interrupt(second.child, second.done);
    expect(run.code, run.stderr).toBe(130);
    expect(ms).toBeLessThan(1000);
    expect(run.stderr).toContain(`Run \`tusk queue resume --state-dir ${state}\`, or the same command again`);
    const last = await fullSpeed(() => runCli(bundle, ['queue', 'resume', '--state-dir', state, '--json'], env));
    expect(last.code, last.stderr).toBe(0);
    const summary = JSON.parse(last.stdout) as { jobs: Array<{ uploadUrl: string }> };
    expect(summary.jobs).toHaveLength(1);
    expect(await server.sha256(summary.jobs[0].uploadUrl)).toBe(sum);
    expect((await server.uploadIds()).filter((id) => !before.has(id))).toEqual([uploadIdOf(summary.jobs[0].uploadUrl)]);
  });
});
