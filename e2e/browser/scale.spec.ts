/**
 * 10,000 queued jobs: scrolling stays smooth (no long task over 50 ms) while progress deltas flow at 10 per second.
 * The deltas here are SYNTHETIC (e2e/harness/synthetic.ts, same QueueSnapshot/QueueDelta shapes as the engine): the
 * real engine cannot make 10,000 jobs progress 10 times a second without 10,000 live uploads. Everything else —
 * production build, bridge, stores, virtualized list — is the real thing.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { desktopStandIns, installBridge } from '../harness/bridge';
import { expect, test } from '../harness/fixtures';
import { syntheticEngine } from '../harness/synthetic';

interface PerfWindow {
  __longTasks: number[];
}

// Tracing snapshots the DOM in the page at every action: that work would be counted as the app's long tasks.
test.use({ trace: 'off', screenshot: 'off' });

test('10,000 jobs scroll without long tasks while 10 deltas a second arrive (synthetic feed)', async ({ page, staticServer }) => {
  const dir = await mkdtemp(join(tmpdir(), 'tusk-e2e-scale-'));
  const feed = syntheticEngine(10_000);
  try {
    const bridge = await installBridge(page, feed, desktopStandIns(dir));
    const ready = bridge.ready();
    await page.goto(staticServer.url);
    await ready;
    const list = page.getByTestId('queue-list');
    await expect(list.locator('[data-job-id]').first()).toBeVisible();
    await expect(page.locator('[data-field=files]')).toContainText('0 of 10000 files done');
    // Virtualized: a screenful of rows in the DOM, not 10,000.
    expect(await page.locator('[data-job-id]').count()).toBeLessThan(60);

    await page.evaluate(() => {
      const w = window as unknown as PerfWindow;
      w.__longTasks = [];
      new PerformanceObserver((entries) => {
        for (const e of entries.getEntries()) w.__longTasks.push(Math.round(e.duration));
      }).observe({ type: 'longtask' });
    });
    feed.startProgress(100, 25);
    const firstRow = list.locator('[data-job-id="j0"]');
    const before = await firstRow.getByRole('progressbar').getAttribute('aria-valuenow');

    // Scroll the whole list with the wheel, as a person would, then jump around with the keyboard.
    await list.hover();
    const started = Date.now();
    // About 7,000 px/s: a brisk flick through the list, several rows entering per frame.
    for (let i = 0; i < 100; i++) {
      await page.mouse.wheel(0, 300);
      await page.waitForTimeout(40);
    }
    await list.focus();
    await page.keyboard.press('End');
    await expect(list.locator('[data-job-id="j9999"]')).toBeVisible();
    // Keyboard navigation moved the selection with it.
    await expect(list.locator('[data-job-id="j9999"]')).toHaveAttribute('aria-current', 'true');
    await expect(list).toHaveAttribute('aria-activedescendant', 'row-j9999');
    for (let i = 0; i < 20; i++) {
      await page.keyboard.press('PageUp');
      await page.waitForTimeout(30);
    }
    await page.keyboard.press('Home');
    await expect(firstRow).toBeVisible();
    await page.waitForTimeout(600);
    const elapsed = Date.now() - started;
    feed.stopProgress();

    const longTasks = await page.evaluate(() => (window as unknown as PerfWindow).__longTasks);
    const deltas = feed.deltasSent();
    console.log(`scale: ${deltas} deltas in ${elapsed} ms while scrolling 10,000 jobs; long tasks: ${longTasks.length ? longTasks.map((d) => Math.round(d)).join(', ') + ' ms' : 'none'}`);
    expect(deltas, 'progress kept flowing during the scroll').toBeGreaterThanOrEqual(Math.floor(elapsed / 100) - 10);
    expect(longTasks, 'long tasks (>50 ms) during scrolling').toEqual([]);
    // The rows really received the progress.
    await expect.poll(() => firstRow.getByRole('progressbar').getAttribute('aria-valuenow')).not.toBe(before);
  } finally {
    await feed.close();
    await rm(dir, { recursive: true, force: true });
  }
});
