/** `runQueuedUpload` and `tusk queue …` on a real server and a real state dir. */
import { describe, expect, it } from 'vitest';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command } from 'commander';
import { registerQueueCommands, runQueuedUpload } from '../../main/cli/commands/queue';
import { startTusNodeServer } from '../servers/tus-node';
import { sha256File, writeRandomFile } from '../helpers/files';
import { useQueueEnv } from './helpers';

const env = useQueueEnv('tusk-queue-cli-', startTusNodeServer);

/** Runs `tusk queue <args>` in-process and returns what it printed. */
async function tuskQueue(args: string[]): Promise<{ out: string; code: number }> {
  const program = new Command().name('tusk').exitOverride();
  registerQueueCommands(program);
  let out = '';
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    out += chunk.toString();
    return true;
  }) as typeof process.stdout.write;
  const before = process.exitCode;
  process.exitCode = 0;
  try {
    await program.parseAsync(['node', 'tusk', 'queue', ...args]);
  } finally {
    process.stdout.write = write;
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = before;
  return { out, code };
}

describe('queue CLI', () => {
  it('uploads a folder with --concurrency and --limit-rate, then lists, clears and reports', async () => {
    const folder = join(env.dir, 'docs');
    await mkdir(join(folder, 'a'), { recursive: true });
    for (let i = 0; i < 6; i++) await writeRandomFile(join(folder, i % 2 ? 'a' : '', `f${i}.bin`), 50_000 + i, i + 1);
    const state = join(env.dir, 'state');
    const lines: string[] = [];
    const t0 = performance.now();
    const code = await runQueuedUpload([folder], { endpoint: env.server.endpoint, concurrency: 3, limitRate: '200KiB', stateDir: state, json: true, quiet: true, out: (l) => lines.push(l) });
    expect(code).toBe(0);
    // 300 kB at 200 KiB/s: more than a second.
    expect(performance.now() - t0).toBeGreaterThan(1000);
    const summary = JSON.parse(lines.join('\n')) as { completed: number; jobs: Array<{ path: string; uploadUrl: string; relativePath: string }> };
    expect(summary.completed).toBe(6);
    for (const j of summary.jobs) expect(await env.server.sha256(j.uploadUrl)).toBe(await sha256File(j.path));
    expect(summary.jobs.map((j) => j.relativePath)).toContain('docs/a/f1.bin');
    // The profile is kept in the state dir for resumes.
    const profiles = JSON.parse(await readFile(join(state, 'profiles.json'), 'utf8')) as { profiles: Array<{ endpoint: string }> };
    expect(profiles.profiles.map((p) => p.endpoint)).toEqual([env.server.endpoint]);

    const listed = await tuskQueue(['list', '--state-dir', state, '--json']);
    expect(listed.code).toBe(0);
    expect((JSON.parse(listed.out) as unknown[]).length).toBe(6);
    const text = await tuskQueue(['list', '--state-dir', state]);
    expect(text.out).toMatch(/completed\s+100%/);
    const cleared = await tuskQueue(['clear', '--state-dir', state, '--json']);
    expect(JSON.parse(cleared.out)).toEqual({ removed: 6, remaining: 0 });
  });

  it('retries a failed job from the command line once the cause is fixed', async () => {
    const file = join(env.dir, 'big.bin');
    await writeRandomFile(file, 10_000, 9);
    const state = join(env.dir, 'state');
    // A server that refuses the size (413: retrying cannot fix it)…
    const storage = join(env.dir, 'storage');
    await mkdir(storage);
    const strict = await startTusNodeServer({ maxSize: 5_000, dir: storage });
    const lines: string[] = [];
    const code = await runQueuedUpload([file], { endpoint: strict.endpoint, stateDir: state, quiet: true, out: (l) => lines.push(l) });
    expect(code).toBe(1);
    expect(lines.join('\n')).toMatch(/FAILED: /);
    const port = strict.port;
    await strict.close();
    // …is reconfigured on the same address; `tusk queue retry` finishes the job.
    const relaxed = await startTusNodeServer({ port, dir: storage });
    try {
      const retried = await tuskQueue(['retry', '--state-dir', state, '--quiet']);
      expect(retried.code).toBe(0);
      const [, url] = retried.out.trim().split('\t');
      expect(await relaxed.sha256(url)).toBe(await sha256File(file));
    } finally {
      await relaxed.close();
    }
  });

  it('refuses bad options with a clear message', async () => {
    await expect(runQueuedUpload([env.dir], { endpoint: 'not a url', stateDir: join(env.dir, 's') })).rejects.toThrow(/is not a URL/);
    await expect(runQueuedUpload([env.dir], { endpoint: env.server.endpoint, limitRate: 'fast', stateDir: join(env.dir, 's') })).rejects.toThrow(/not a rate/);
    await expect(runQueuedUpload([env.dir], { endpoint: env.server.endpoint, concurrency: 0, stateDir: join(env.dir, 's') })).rejects.toThrow(/--concurrency/);
  });
});
