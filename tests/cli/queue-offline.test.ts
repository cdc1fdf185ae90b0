/**
 * `tusk queue list|cancel|clear` open the state dir offline: no HEAD per unfinished upload. `list` works with the
 * server down (and sends nothing when it is up); `cancel` removes the server's uploads when it can and says which it
 * could not remove (and how to remove them later) when it cannot. Plus the exit codes of the queue commands.
 */
import { describe, expect, it } from 'vitest';
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { uploadIdOf } from '../servers/tus-node';
import { startFaultProxy, type FaultProxy } from '../servers/fault-proxy';
import { writeRandomFile } from '../helpers/files';
import { cliFixture, jsonLines, runCli, startCli, type CliRun } from './run';

/** A bundled CLI, a @tus/server and a temp dir (also the XDG state home, away from ~/.local/state/tusk). */
const fx = cliFixture('tusk-queue-offline-');
let n = 0;

interface ListedJob {
  id: string;
  path: string;
  status: string;
  uploadUrl?: string;
  offset: number;
}

/**
 * A state dir with two unfinished jobs that have server uploads: a folder upload through `proxy`, stopped with
 * Ctrl-C once the server holds bytes of both files. `whileRunning` runs while the upload still runs.
 */
async function interruptedState(proxy: FaultProxy, whileRunning?: (state: string) => Promise<void>): Promise<{ state: string; folder: string }> {
  const folder = join(fx.tmp, `folder-${++n}`);
  await mkdir(folder, { recursive: true });
  await writeRandomFile(join(folder, 'a.bin'), 400_000, n * 10 + 1);
  await writeRandomFile(join(folder, 'b.bin'), 400_000, n * 10 + 2);
  const state = join(fx.tmp, `state-${n}`);
  const before = new Set(await fx.server.uploadIds());
  const { child, done } = startCli(fx.bundle, ['upload', folder, '--endpoint', proxy.endpointFor(fx.server.endpoint), '--state-dir', state, '--limit-rate', '256KiB', '--chunk-size', '64KiB', '--concurrency', '2', '--json'], fx.env);
  const deadline = Date.now() + 15_000;
  // Bytes reach the server only after the job's upload URL is durable in the state dir (a created upload without
  // bytes may not be known to the state yet: a SIGINT right then leaves it orphaned, as documented).
  const withBytes = async (): Promise<number> => {
    const fresh = (await fx.server.uploadIds()).filter((id) => !before.has(id));
    const sizes = await Promise.all(fresh.map((id) => stat(fx.server.storedPath(id)).then((st) => st.size, () => 0)));
    return sizes.filter((size) => size > 0).length;
  };
  while ((await withBytes()) < 2) {
    if (Date.now() > deadline) throw new Error('the uploads never reached the server');
    await new Promise((r) => setTimeout(r, 30));
  }
  await whileRunning?.(state);
  child.kill('SIGINT');
  const run: CliRun = await done;
  expect(run.code, run.stderr).toBe(130);
  return { state, folder };
}

async function listJson(state: string): Promise<ListedJob[]> {
  const r = await runCli(fx.bundle, ['queue', 'list', '--state-dir', state, '--json'], fx.env);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout.trim().split('\n')).toHaveLength(1);
  return JSON.parse(r.stdout) as ListedJob[];
}

describe('tusk queue list', () => {
  it('sends no request, and lists the jobs quickly (exit 0) with the server down', async () => {
    const proxy = await startFaultProxy({ target: fx.server.origin });
    let lockedRun: CliRun | undefined;
    const { state, folder } = await interruptedState(proxy, async (s) => {
      // While the upload runs, the state dir is taken: a clear error, exit 1.
      lockedRun = await runCli(fx.bundle, ['queue', 'list', '--state-dir', s], fx.env);
    });
    expect(lockedRun?.code).toBe(1);
    expect(lockedRun?.stderr).toMatch(/^tusk: .*(in use|locked|another).*\d+/im);

    const requests = proxy.stats.requests;
    const jobs = await listJson(state);
    expect(jobs.map((j) => j.path).sort()).toEqual([join(folder, 'a.bin'), join(folder, 'b.bin')]);
    for (const j of jobs) {
      expect(j.status).toBe('queued');
      expect(j.uploadUrl).toMatch(/^http:/);
    }
    const text = await runCli(fx.bundle, ['queue', 'list', '--state-dir', state], fx.env);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/queued .*a\.bin/);
    expect(text.stdout).toMatch(/queued .*b\.bin/);
    expect(proxy.stats.requests).toBe(requests);

    await proxy.close();
    const t0 = performance.now();
    const down = await runCli(fx.bundle, ['queue', 'list', '--state-dir', state, '--json'], fx.env);
    expect(performance.now() - t0).toBeLessThan(3_000);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stderr).toBe('');
    expect((JSON.parse(down.stdout) as ListedJob[]).map((j) => j.uploadUrl)).toEqual(jobs.map((j) => j.uploadUrl));
  });
});

describe('tusk queue cancel', () => {
  it('removes the uploads from the server (termination) and says so', async () => {
    const proxy = await startFaultProxy({ target: fx.server.origin });
    try {
      const { state } = await interruptedState(proxy);
      const urls = (await listJson(state)).map((j) => j.uploadUrl!);
      for (const u of urls) expect(await fx.server.uploadIds()).toContain(uploadIdOf(u));
      const r = await runCli(fx.bundle, ['queue', 'cancel', '--state-dir', state, '--json'], fx.env);
      expect(r.code, r.stderr).toBe(0);
      const lines = jsonLines(r.stdout);
      expect(lines.map((l) => l.uploadUrl).sort()).toEqual([...urls].sort());
      for (const l of lines) expect(l).toMatchObject({ status: 'cancelled', serverRemoved: true });
      const ids = await fx.server.uploadIds();
      for (const u of urls) expect(ids).not.toContain(uploadIdOf(u));
      for (const j of await listJson(state)) expect(j.status).toBe('cancelled');
      // Nothing left to cancel; clear removes the cancelled jobs.
      const again = await runCli(fx.bundle, ['queue', 'cancel', '--state-dir', state], fx.env);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toBe('Nothing to cancel.\n');
      const cleared = await runCli(fx.bundle, ['queue', 'clear', '--state-dir', state, '--json'], fx.env);
      expect(JSON.parse(cleared.stdout)).toEqual({ removed: 2, remaining: 0 });
    } finally {
      await proxy.close();
    }
  });

  it('with the server down: cancels locally, exits 1, names each upload it could not remove and how to remove it', async () => {
    const proxy = await startFaultProxy({ target: fx.server.origin });
    const { state } = await interruptedState(proxy);
    const jobs = await listJson(state);
    await proxy.close();
    const t0 = performance.now();
    const r = await runCli(fx.bundle, ['queue', 'cancel', jobs[0].id.slice(0, 8), '--state-dir', state, '--json'], fx.env);
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(r.code).toBe(1);
    const [line, ...rest] = jsonLines(r.stdout);
    expect(rest).toEqual([]);
    expect(line).toMatchObject({ id: jobs[0].id, status: 'cancelled', uploadUrl: jobs[0].uploadUrl, serverRemoved: false, error: { code: 'network' } });
    expect(r.stderr).toContain('cancelled, but its upload could not be removed from the server: Could not connect');
    expect(r.stderr).toContain(`remove it later with: tusk delete ${jobs[0].uploadUrl}`);
    // Cancelled here, the other job untouched, and the server still has the upload.
    const after = await listJson(state);
    expect(after.find((j) => j.id === jobs[0].id)?.status).toBe('cancelled');
    expect(after.find((j) => j.id === jobs[1].id)?.status).toBe('queued');
    expect(await fx.server.uploadIds()).toContain(uploadIdOf(jobs[0].uploadUrl!));
  });
});

describe('exit codes and messages of the queue commands', () => {
  it('usage mistakes exit 2 and say what to do; --json adds an error line and nothing else', async () => {
    const proxy = await startFaultProxy({ target: fx.server.origin });
    let state: string;
    try {
      ({ state } = await interruptedState(proxy));
    } finally {
      await proxy.close();
    }
    const unknown = await runCli(fx.bundle, ['queue', 'cancel', 'zzzz', '--state-dir', state, '--json'], fx.env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe('tusk: No job id starts with "zzzz". Run `tusk queue list` to see the ids.\n');
    expect(jsonLines(unknown.stdout)).toEqual([{ error: { code: 'usage', message: 'No job id starts with "zzzz". Run `tusk queue list` to see the ids.' } }]);
    const retryUnknown = await runCli(fx.bundle, ['queue', 'retry', 'zzzz', '--state-dir', state], fx.env);
    expect(retryUnknown.code).toBe(2);
    expect(retryUnknown.stdout).toBe('');
    // The jobs are untouched by the refused commands.
    for (const j of await listJson(state)) expect(j.status).toBe('queued');

    const cases: Array<[string[], number, RegExp]> = [
      [[], 2, /Usage: tusk/],
      [['--help'], 0, /^$/],
      [['--version'], 0, /^$/],
      [['queue'], 2, /Usage: tusk queue/],
      [['queue', 'nope'], 2, /unknown command 'nope'/],
      [['queue', 'list', '--bogus'], 2, /unknown option '--bogus'/],
      [['nope'], 2, /unknown command 'nope'/],
    ];
    for (const [args, code, stderr] of cases) {
      const r = await runCli(fx.bundle, args, fx.env);
      expect(r.code, args.join(' ')).toBe(code);
      expect(r.stderr, args.join(' ')).toMatch(stderr);
    }
  });

  it('a state dir never used: list/cancel/clear report an empty queue (exit 0) and do not create it', async () => {
    const state = join(fx.tmp, 'never-used');
    const list = await runCli(fx.bundle, ['queue', 'list', '--state-dir', state], fx.env);
    const cancel = await runCli(fx.bundle, ['queue', 'cancel', '--state-dir', state], fx.env);
    const clear = await runCli(fx.bundle, ['queue', 'clear', '--state-dir', state, '--json'], fx.env);
    expect([list.code, cancel.code, clear.code]).toEqual([0, 0, 0]);
    expect(list.stdout).toBe('The queue is empty.\n');
    expect(cancel.stdout).toBe('The queue is empty; nothing to cancel.\n');
    expect(JSON.parse(clear.stdout)).toEqual({ removed: 0, remaining: 0 });
    const byId = await runCli(fx.bundle, ['queue', 'cancel', 'abc', '--state-dir', state], fx.env);
    expect(byId.code).toBe(2);
    expect(byId.stderr).toContain('holds no queue');
    await expect(import('node:fs/promises').then((fs) => fs.stat(state))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
