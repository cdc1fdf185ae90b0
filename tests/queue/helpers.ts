/** Shared setup of the queue tests: an engine on a temp state dir with the real store and the real TusClient. */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { makeTempDir, removeDir } from '../helpers/files';
import type { Engine } from '../../main/engine/engine-types';
import { createEngine, type CreateEngineOptions } from '../../main/engine/index';
import { internalsOf } from '../../main/engine/engine-internals';
import { MemoryProfileRepository, makeProfile } from '../../main/engine/profiles';
import { MemorySettingsRepository } from '../../main/engine/settings';
import type { JobView, ServerProfile, Settings } from '../../shared/types';

/** An engine with one profile for `endpoint`; retries are fast so tests stay short. */
export async function startEngine(
  stateDir: string,
  endpoint: string,
  opts: { profile?: Partial<ServerProfile>; settings?: Partial<Settings>; engine?: Partial<CreateEngineOptions> } = {},
): Promise<{ engine: Engine; profile: ServerProfile; profiles: MemoryProfileRepository }> {
  const profile = makeProfile({ id: 'p1', name: 'test', endpoint, chunkSize: 256 * 1024, checksum: 'none', ...opts.profile });
  const profiles = new MemoryProfileRepository([profile]);
  const engine = await createEngine({
    stateDir,
    profiles,
    settings: new MemorySettingsRepository({ concurrency: 4, ...opts.settings }),
    retryBaseDelayMs: 200,
    retryMaxDelayMs: 1000,
    ...opts.engine,
  });
  return { engine, profile, profiles };
}

/** A test server as the queue tests use it. */
export interface QueueTestServer {
  endpoint: string;
  close(): Promise<void>;
}

/** What `useQueueEnv` sets up: a server and a temp dir, and the engine the test last started (closed after it). */
export interface QueueEnv<S extends QueueTestServer> {
  /** The running server; a test may replace it (the replacement is closed after the test). */
  server: S;
  readonly dir: string;
  /** The engine closed after the test; `start` sets it, a test starting engines otherwise may too. */
  engine: Engine | undefined;
  /** `startEngine` on `<dir>/state` and `endpoint` (the server's by default); the engine is closed after the test. */
  start(opts?: Parameters<typeof startEngine>[2], endpoint?: string): ReturnType<typeof startEngine>;
}

/**
 * Registers the setup shared by the queue tests: a fresh server (`startServer`) and temp dir (named `<dirPrefix>…`)
 * before each test (or once, `scope: 'all'`), and after it the engine closed, then `afterEngine` (e.g. a proxy
 * closed), the server closed and the dir removed.
 */
export function useQueueEnv<S extends QueueTestServer>(
  dirPrefix: string,
  startServer: () => Promise<S>,
  opts: { scope?: 'each' | 'all'; afterEngine?: () => Promise<void> } = {},
): QueueEnv<S> {
  let server: S | undefined;
  let dir: string | undefined;
  const env: QueueEnv<S> = {
    get server() {
      if (!server) throw new Error('The test server is not running (used outside a test?).');
      return server;
    },
    set server(replacement: S) {
      server = replacement;
    },
    get dir() {
      if (!dir) throw new Error('The temp dir does not exist (used outside a test?).');
      return dir;
    },
    engine: undefined,
    async start(startOpts = {}, endpoint) {
      const started = await startEngine(join(env.dir, 'state'), endpoint ?? env.server.endpoint, startOpts);
      env.engine = started.engine;
      return started;
    },
  };
  const before = opts.scope === 'all' ? beforeAll : beforeEach;
  const after = opts.scope === 'all' ? afterAll : afterEach;
  before(async () => {
    server = await startServer();
    dir = await makeTempDir(dirPrefix);
  });
  after(async () => {
    await env.engine?.close();
    env.engine = undefined;
    await opts.afterEngine?.();
    await server?.close();
    server = undefined;
    if (dir) await removeDir(dir);
    dir = undefined;
  });
  return env;
}

/** The queue of an engine. */
export const queueOf = (engine: Engine) => internalsOf(engine).queue;

/** Waits until `pred` holds (polling), or throws after `timeoutMs` with what was seen last. */
export async function waitFor<T>(what: string, fn: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}.`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Waits until every given job has finished (completed, failed or cancelled) and returns them. */
export async function waitJobsDone(engine: Engine, ids: string[], timeoutMs = 30_000): Promise<JobView[]> {
  const q = queueOf(engine);
  return waitFor(
    `jobs to finish`,
    () => {
      const jobs = ids.map((id) => q.job(id)!);
      return jobs.every((j) => j && ['completed', 'failed', 'cancelled'].includes(j.status)) ? jobs : undefined;
    },
    timeoutMs,
  );
}

/** What a fixture child printed, and how it ended. */
export interface FixtureExit {
  code: number | null;
  out: string;
  err: string;
}

/**
 * Runs `tests/queue/fixtures/<script>` in its own Node process (through tsx), to be killed at a moment of the test's
 * choosing; `done` resolves on exit (whatever the signal) with what it printed.
 */
export function spawnFixture(script: string, args: string[]): { child: ChildProcess; done: Promise<FixtureExit> } {
  const child = spawn(process.execPath, ['--import', 'tsx', `tests/queue/fixtures/${script}`, ...args], {
    cwd: process.cwd(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<FixtureExit>((resolve) => child.on('exit', (code) => resolve({ code, out, err })));
  return { child, done };
}
