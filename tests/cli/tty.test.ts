/**
 * The progress bar on a real terminal: `tusk upload` runs in a pseudo-terminal (util-linux `script`) against a real
 * `@tus/server`, slowed down (`--limit-rate`, or a trickling proxy for the direct path) so the bar draws many frames.
 * stdout is redirected to a file inside the terminal, so the bar (stderr, the terminal) and the results (stdout) are
 * checked apart. Without a terminal, and with `--json`, nothing but results reaches stdout and no bar is drawn.
 */
import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startFaultProxy, type FaultProxy } from '../servers/fault-proxy';
import { writeRandomFile } from '../helpers/files';
import { cliFixture, jsonLines, runCli } from './run';

const hasScript = spawnSync('script', ['--version']).status === 0;
if (!hasScript) console.warn('tty.test.ts: util-linux `script` is not installed; the pseudo-terminal tests are skipped.');

/** A bundled CLI, a @tus/server and a temp dir (also the XDG state home, away from ~/.local/state/tusk). */
const fx = cliFixture('tusk-tty-');
let n = 0;

const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Runs `tusk <args>` in a pseudo-terminal of `columns` columns with stdout sent to a file; returns the exit code,
 * what the terminal showed (stderr) and the file (stdout).
 */
async function runInTerminal(args: string[], columns = 120): Promise<{ code: number | null; terminal: string; stdout: string }> {
  const outFile = join(fx.tmp, `stdout-${++n}.txt`);
  const cmd = `stty cols ${columns} rows 40; exec ${q(process.execPath)} ${q(fx.bundle)} ${args.map(q).join(' ')} > ${q(outFile)}`;
  const child = spawn('script', ['-qfec', cmd, '/dev/null'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...fx.env } });
  let terminal = '';
  child.stdout.on('data', (d: Buffer) => (terminal += d.toString()));
  child.stderr.on('data', (d: Buffer) => (terminal += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  clearTimeout(timer);
  return { code, terminal, stdout: await readFile(outFile, 'utf8').catch(() => '') };
}

/** The bar's frames: what was drawn after each carriage return that is not the terminal's own `\r\n`. */
function framesOf(terminal: string): string[] {
  return terminal
    .split(/\r(?!\n)/)
    .slice(1)
    .map((f) => f.replace(/\x1b\[K/g, '').replace(/\r?\n[\s\S]*$/, ''))
    .filter((f) => f.trim() !== '');
}

/** Every frame shows percent, speed and ETA, and fits the terminal. */
function expectGoodFrames(frames: string[], columns: number): void {
  expect(frames.length).toBeGreaterThanOrEqual(5);
  for (const f of frames) {
    expect(f).toMatch(/\d{1,3}% /);
    expect(f).toMatch(/\d+(\.\d)? (B|KiB|MiB)\/s/);
    expect(f).toMatch(/ETA (\d+:)?\d+:\d\d|ETA --:--/);
    expect(f.length).toBeLessThan(columns);
  }
  // It moves: several different percentages, rising, and some frames with a real ETA.
  const pcts = frames.map((f) => Number(/(\d{1,3})% /.exec(f)?.[1]));
  expect(new Set(pcts).size).toBeGreaterThanOrEqual(3);
  for (let i = 1; i < pcts.length; i++) expect(pcts[i]).toBeGreaterThanOrEqual(pcts[i - 1]);
  expect(frames.some((f) => /ETA (\d+:)?\d+:\d\d/.test(f))).toBe(true);
}

describe.skipIf(!hasScript)('progress bar on a terminal', () => {
  it('queued upload with --limit-rate: the bar redraws in place with percent, speed and ETA; stdout gets only the URL', async () => {
    const file = join(fx.tmp, 'rated.bin');
    const sum = await writeRandomFile(file, 2 * 1024 * 1024, 11);
    const state = join(fx.tmp, 'state-rated');
    const r = await runInTerminal(['upload', file, '--endpoint', fx.server.endpoint, '--state-dir', state, '--limit-rate', '1MiB', '--chunk-size', '256KiB'], 100);
    expect(r.code, r.terminal).toBe(0);
    // Redrawn in place: carriage returns without a line feed, and erase-to-end-of-line.
    expect(r.terminal).toMatch(/\r(?!\n)/);
    expect(r.terminal).toContain('\x1b[K');
    const frames = framesOf(r.terminal);
    expectGoodFrames(frames, 100);
    expect(frames.some((f) => f.includes('0/1 files'))).toBe(true);
    // The bar is erased at the end: no progress line is left as a line of its own.
    expect(r.terminal.split(/\r?\n/).filter((l) => /ETA/.test(l) && !l.includes('\r'))).toEqual([]);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const [url, name] = lines[0].split('\t');
    expect(name).toBe(file);
    expect(await fx.server.sha256(url)).toBe(sum);
  });

  it('direct upload (one file, slow server): the bar shows the file name; stdout gets only the URL', async () => {
    const proxy: FaultProxy = await startFaultProxy({ target: fx.server.origin });
    try {
      proxy.addFault({ kind: 'trickle', bytesPerSecond: 768 * 1024, match: { method: 'PATCH', times: Infinity } });
      const file = join(fx.tmp, 'direct.bin');
      const sum = await writeRandomFile(file, 1536 * 1024, 12);
      const r = await runInTerminal(['upload', file, '--endpoint', proxy.endpointFor(fx.server.endpoint), '--chunk-size', '128KiB'], 120);
      expect(r.code, r.terminal).toBe(0);
      const frames = framesOf(r.terminal);
      expectGoodFrames(frames, 120);
      expect(frames.every((f) => f.endsWith('direct.bin'))).toBe(true);
      const lines = r.stdout.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(await fx.server.sha256(lines[0])).toBe(sum);
    } finally {
      await proxy.close();
    }
  });

  it('with --json on a terminal: no bar at all, and stdout holds only JSON lines', async () => {
    const file = join(fx.tmp, 'json.bin');
    const sum = await writeRandomFile(file, 1024 * 1024, 13);
    const r = await runInTerminal(['upload', file, '--endpoint', fx.server.endpoint, '--state-dir', join(fx.tmp, 'state-json'), '--limit-rate', '2MiB', '--json'], 100);
    expect(r.code, r.terminal).toBe(0);
    expect(r.terminal).not.toContain('\x1b[');
    expect(r.terminal).not.toMatch(/\r(?!\n)/);
    expect(r.terminal).not.toMatch(/ETA|%/);
    const lines = jsonLines(r.stdout);
    expect(lines).toEqual([expect.objectContaining({ file, complete: true, bytes: 1024 * 1024 })]);
    expect(await fx.server.sha256(lines[0].url as string)).toBe(sum);
  });

  it('"-" with standard input on the terminal: exit 2 and how to pipe data in, nothing uploaded', async () => {
    const before = (await fx.server.uploadIds()).length;
    for (const args of [
      ['upload', '-', '--endpoint', fx.server.endpoint],
      ['resume', '-', '--url', `${fx.server.endpoint}/x`],
    ]) {
      const r = await runInTerminal(args);
      expect(r.code, r.terminal).toBe(2);
      expect(r.terminal).toMatch(/standard input, which is a terminal here: pipe the data in/);
    }
    expect(await fx.server.uploadIds()).toHaveLength(before);
  });
});

describe('no terminal', () => {
  it('stdout and stderr as pipes: no bar, no carriage returns or escapes; stdout has only the result lines', async () => {
    const a = join(fx.tmp, 'pipe-a.bin');
    const b = join(fx.tmp, 'pipe-b.bin');
    const sums = [await writeRandomFile(a, 600 * 1024, 14), await writeRandomFile(b, 300 * 1024, 15)];
    // Queued (rate-limited, so progress exists for more than a second) and direct.
    const queued = await runCli(fx.bundle, ['upload', a, b, '--endpoint', fx.server.endpoint, '--state-dir', join(fx.tmp, 'state-pipe'), '--limit-rate', '512KiB'], fx.env);
    const direct = await runCli(fx.bundle, ['upload', a, b, '--endpoint', fx.server.endpoint, '--chunk-size', '64KiB'], fx.env);
    for (const r of [queued, direct]) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr + r.stdout).not.toMatch(/\r|\x1b/);
      expect(r.stdout).not.toMatch(/ETA|%/);
      const urls = r.stdout.trim().split('\n').map((l) => l.split('\t')[0]);
      expect(urls).toHaveLength(2);
      expect([await fx.server.sha256(urls[0]), await fx.server.sha256(urls[1])]).toEqual(sums);
    }
  });
});
