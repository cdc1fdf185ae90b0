/**
 * Playwright fixtures of the Electron suite: a temporary user-data directory, the built app launched with
 * `_electron` on it, and its window. Where the Electron binary is not installed, tests skip with one printed line.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { _electron, test as base, expect } from '@playwright/test';
import type { ElectronApplication, Page } from '@playwright/test';
import type { QueueSnapshot } from '../../shared/types';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ELECTRON_DIR = join(ROOT, 'node_modules', 'electron');

/** Whether an Electron binary exists (checked without requiring `electron`, which would try to download one). */
export const hasElectron = existsSync(join(ELECTRON_DIR, 'dist')) && existsSync(join(ELECTRON_DIR, 'path.txt'));

/** The one line printed (and given as the skip reason) where Electron cannot run. */
export const NO_ELECTRON_REASON =
  'Electron binary not installed (node_modules/electron/dist missing): the Electron e2e suite is skipped here; ' +
  'it runs wherever `npx electron --version` works.';

/** A launched Tusk. */
export interface TuskApp {
  app: ElectronApplication;
  page: Page;
  userData: string;
}

/** What a test gets. */
export interface ElectronFixtures {
  /** A temporary directory for source files and the user-data directory; removed after the test. */
  workDir: string;
  /** Launches Tusk on `<workDir>/user-data` (call again after `quit` to relaunch on the same profile). */
  launch(): Promise<TuskApp>;
}

function ensureBuilt(): void {
  if (existsSync(join(ROOT, 'dist', 'main', 'index.cjs')) && existsSync(join(ROOT, 'dist', 'renderer', 'index.html'))) return;
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('npm run build failed; the Electron suite needs dist/.');
}

/** Fixtures: `workDir` and `launch`; every launched app is closed after the test, traces kept on failure. */
export const test = base.extend<ElectronFixtures>({
  workDir: async ({}, use) => {
    const dir = await mkdtemp(join(tmpdir(), 'tusk-electron-'));
    await use(dir);
    await rm(dir, { recursive: true, force: true });
  },
  launch: async ({ workDir }, use, testInfo) => {
    ensureBuilt();
    const launched: ElectronApplication[] = [];
    await use(async () => {
      const userData = join(workDir, 'user-data');
      const app = await _electron.launch({
        args: [join(ROOT, 'dist', 'main', 'index.cjs'), `--user-data-dir=${userData}`],
        cwd: ROOT,
        env: { ...process.env, TUSK_E2E: '1', TUSK_E2E_GRANT_ALL: '1' },
        timeout: 30_000,
      });
      launched.push(app);
      await app.context().tracing.start({ screenshots: true, snapshots: true });
      const page = await app.firstWindow();
      await page.waitForFunction(() => Boolean((window as { tusk?: unknown }).tusk));
      return { app, page, userData };
    });
    for (const [i, app] of launched.entries()) {
      const failed = testInfo.status !== testInfo.expectedStatus;
      try {
        await app.context().tracing.stop(failed ? { path: testInfo.outputPath(`trace-${i}.zip`) } : undefined);
      } catch {
        // already closed by the test (quit/relaunch)
      }
      await app.close().catch(() => undefined);
    }
  },
});

export { expect };

/** The queue snapshot, through the real IPC. */
export function snapshot(page: Page): Promise<QueueSnapshot> {
  return page.evaluate(() => window.tusk!.api.getSnapshot());
}

/** sha256 of a file. */
export async function sha256File(path: string): Promise<string> {
  return createHash('sha256').update(await readFile(path)).digest('hex');
}

/** Where the embedded server stored an upload (its id is the last segment of the upload URL). */
export function storedPath(userData: string, uploadUrl: string): string {
  const id = new URL(uploadUrl).pathname.split('/').filter(Boolean).pop() ?? '';
  return join(userData, 'local-server', 'uploads', id);
}
