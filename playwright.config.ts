import { defineConfig } from '@playwright/test';

/**
 * Two suites: `browser` (the production renderer in Debian's Chromium, bound to the real engine by e2e/harness) and
 * `electron` (the packaged shell via Playwright's _electron; skips with a printed reason where no Electron binary exists).
 */
export default defineConfig({
  workers: 1,
  fullyParallel: false,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  reporter: [['list']],
  outputDir: 'test-results',
  projects: [
    {
      name: 'browser',
      testDir: 'e2e/browser',
      use: {
        browserName: 'chromium',
        viewport: { width: 1280, height: 800 },
        launchOptions: {
          executablePath: '/usr/bin/chromium',
          args: [
            '--no-sandbox',
            '--disable-gpu',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
            '--no-first-run',
          ],
        },
        trace: 'retain-on-failure',
        screenshot: 'only-on-failure',
      },
    },
    {
      // Launches dist/main/index.cjs with _electron on a temporary --user-data-dir (see e2e/electron/fixtures.ts);
      // builds dist/ first when it is missing. Quit-and-relaunch tests need more than the default minute.
      name: 'electron',
      testDir: 'e2e/electron',
      timeout: 180_000,
    },
  ],
});
