/**
 * Playwright fixtures of the browser suite: a temp dir, the production renderer served on loopback, the real engine
 * in a child process on a state dir in that temp dir, and a page whose `window.tusk` is bound to it.
 * Page errors and CSP violations fail the test.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test as base, expect, type Page } from '@playwright/test';
import type { ProfileInput } from '../../shared/ipc';
import type { ServerProfile } from '../../shared/types';
import { desktopStandIns, installBridge, type PageBridge } from './bridge';
import { startEngineProcess, type EngineProcess } from './engine-process';
import type { HostTuning } from './protocol';
import { buildRenderer, serveStatic, type StaticServer } from './static-server';

/** What a test gets. */
export interface Tusk {
  page: Page;
  dir: string;
  stateDir: string;
  engine: EngineProcess;
  bridge: PageBridge;
  appUrl: string;
  /** Starts the engine with other tuning (before `open`). */
  restartEngine(tuning?: HostTuning, opts?: { kill?: boolean }): Promise<EngineProcess>;
  /** Saves a profile directly through the engine (as a previous session would have). */
  addProfile(name: string, endpoint: string, extra?: Partial<ProfileInput>): Promise<ServerProfile>;
  /** Loads the app and waits until it has pulled its snapshot. */
  open(): Promise<void>;
  /** Reloads the page (the renderer pulls a fresh snapshot). */
  reload(): Promise<void>;
  /** Calls the engine API directly (setup and assertions, not UI). */
  call<T>(name: string, ...args: unknown[]): Promise<T>;
}

const defaultTuning: HostTuning = { retryBaseDelayMs: 300, retryMaxDelayMs: 2000 };

/** Fixtures: `tusk` (real engine) and `staticServer` (shared per worker). */
export const test = base.extend<{ tusk: Tusk; engineTuning: HostTuning }, { staticServer: StaticServer }>({
  engineTuning: [defaultTuning, { option: true }],
  staticServer: [
    async ({}, use) => {
      buildRenderer();
      const server = await serveStatic();
      await use(server);
      await server.close();
    },
    { scope: 'worker' },
  ],
  tusk: async ({ page, staticServer, engineTuning }, use, testInfo) => {
    const dir = await mkdtemp(join(tmpdir(), 'tusk-e2e-'));
    const stateDir = join(dir, 'state');
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error' && /Content Security Policy|Refused to/i.test(msg.text())) problems.push(`CSP: ${msg.text()}`);
    });
    let engine = await startEngineProcess(stateDir, engineTuning);
    const bridge = await installBridge(page, engine, desktopStandIns(join(dir, 'exports')));
    const tusk: Tusk = {
      page,
      dir,
      stateDir,
      get engine() {
        return engine;
      },
      bridge,
      appUrl: staticServer.url,
      async restartEngine(tuning = engineTuning, opts = {}) {
        if (opts.kill) await engine.kill();
        else await engine.close();
        engine = await startEngineProcess(stateDir, tuning);
        bridge.attach(engine);
        return engine;
      },
      async addProfile(name, endpoint, extra = {}) {
        return (await engine.call('saveProfile', [
          { name, endpoint, headers: [], chunkSize: 0, checksum: 'auto', parallelUploads: 1, verifyTls: true, maxConcurrent: 3, ...extra },
        ])) as ServerProfile;
      },
      async open() {
        const ready = bridge.ready();
        await page.goto(staticServer.url);
        await ready;
      },
      async reload() {
        const ready = bridge.ready();
        await page.reload();
        await ready;
      },
      call: <T>(name: string, ...args: unknown[]) => engine.call(name, args) as Promise<T>,
    };
    await use(tusk);
    await engine.close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    if (testInfo.status === testInfo.expectedStatus) expect(problems, 'page errors or CSP violations').toEqual([]);
  },
});

export { expect };
