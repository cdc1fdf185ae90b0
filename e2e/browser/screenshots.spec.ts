/**
 * Screenshots of the main views in light and dark themes (e2e/artifacts/, git-ignored), from a real engine with a real
 * mix of states: finished files, a folder batch, uploads running under a bandwidth limit, a paused one and one waiting
 * to retry against a server that is down. Also checks that the theme follows the system and `Settings.theme`.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddResult } from '../../shared/types';
import { startConformanceServer } from '../../tests/servers/conformance';
import { startTusNodeServer } from '../../tests/servers/tus-node';
import { writeRandomFile } from '../../tests/helpers/files';
import { expect, test } from '../harness/fixtures';

const artifacts = fileURLToPath(new URL('../artifacts/', import.meta.url));

test.use({ engineTuning: { retryBaseDelayMs: 20_000, retryMaxDelayMs: 60_000 }, viewport: { width: 1280, height: 880 } });

test('main views in light and dark', async ({ tusk }) => {
  test.setTimeout(90_000);
  const { page } = tusk;
  await mkdir(artifacts, { recursive: true });
  const node = await startTusNodeServer({ maxSize: 2 * 1024 ** 3 });
  const conf = await startConformanceServer();
  try {
    const studio = await tusk.addProfile('Studio archive', node.endpoint);
    const lab = await tusk.addProfile('Media lab', conf.endpoint, { parallelUploads: 4, chunkSize: 8 * 1024 * 1024 });
    const offline = await tusk.addProfile('Field office', 'http://127.0.0.1:9/uploads/');
    await tusk.call('updateSettings', { defaultProfileId: studio.id, concurrency: 3 });
    const shot = async (name: string): Promise<void> => {
      await page.waitForTimeout(250);
      await page.screenshot({ path: join(artifacts, `${name}.png`) });
    };
    await page.emulateMedia({ colorScheme: 'light' });
    await tusk.open();
    await expect(page.getByRole('heading', { name: /Drop files or folders/ })).toBeVisible();
    await shot('light-empty');
    await page.emulateMedia({ colorScheme: 'dark' });
    await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
    await shot('dark-empty');
    await page.emulateMedia({ colorScheme: 'light' });

    // Finished work first (unlimited), so history has entries.
    const src = join(tusk.dir, 'Documents');
    const holiday = join(src, 'holiday-2024');
    await mkdir(join(holiday, 'beach'), { recursive: true });
    await mkdir(join(holiday, 'mountains'), { recursive: true });
    for (let i = 0; i < 14; i++) await writeRandomFile(join(holiday, i % 2 ? 'beach' : 'mountains', `IMG_${4100 + i}.jpg`), 180_000 + i * 9_000, i + 1);
    for (const [n, size] of [['thesis-final.pdf', 2_400_000], ['budget-2025.xlsx', 380_000], ['logo@2x.png', 96_000]] as const)
      await writeRandomFile(join(src, n), size, size);
    await tusk.call<AddResult>('addPaths', { paths: [join(src, 'thesis-final.pdf'), join(src, 'budget-2025.xlsx'), join(src, 'logo@2x.png'), holiday] });
    await expect(page.locator('[data-field=files]')).toContainText('17 of 17 files done', { timeout: 20_000 });

    // Then running work under a limit, a paused one and one that cannot reach its server.
    for (const [n, size] of [['interview-raw.mov', 60_000_000], ['site-backup.tar.gz', 45_000_000], ['drone-4k.mp4', 50_000_000], ['podcast-ep42.wav', 30_000_000]] as const)
      await writeRandomFile(join(src, n), size, size % 97);
    await tusk.call('setBandwidthLimit', 6 * 1024 * 1024);
    await tusk.call('addPaths', { paths: [join(src, 'interview-raw.mov'), join(src, 'site-backup.tar.gz')], profileId: studio.id });
    await tusk.call('addPaths', { paths: [join(src, 'drone-4k.mp4')], profileId: lab.id });
    const podcast = await tusk.call<AddResult>('addPaths', { paths: [join(src, 'podcast-ep42.wav')], profileId: studio.id });
    await tusk.call('pause', { kind: 'job', id: podcast.jobIds[0] });
    await tusk.call('setPriority', { target: { kind: 'job', id: podcast.jobIds[0] }, priority: 10 });
    await writeRandomFile(join(src, 'survey-notes.docx'), 240_000, 5);
    await tusk.call('addPaths', { paths: [join(src, 'survey-notes.docx')], profileId: offline.id });
    await expect(page.locator('.chip[data-status=retrying]')).toBeVisible({ timeout: 15_000 });
    await page.waitForTimeout(5000); // some seconds of throughput for the chart
    await page.getByRole('button', { name: 'Expand folder holiday-2024' }).click();
    await page.getByRole('button', { name: 'Collapse folder holiday-2024' }).click();

    for (const theme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: theme });
      await expect(page.locator('html')).toHaveAttribute('data-theme', theme);
      await page.getByRole('tab', { name: 'Queue' }).click();
      await page.keyboard.press('Escape');
      await page.locator('[data-job-id]').filter({ hasText: 'interview-raw.mov' }).click({ position: { x: 10, y: 10 } });
      await expect(page.getByTestId('details')).toBeVisible();
      await shot(`${theme}-details`);
      await page.getByRole('button', { name: 'Close details' }).click();
      await page.getByTestId('queue-list').focus();
      await page.keyboard.press('Home');
      await page.keyboard.press('Escape');
      await page.getByTestId('queue-list').evaluate((el) => el.scrollTo(0, 0));
      await page.getByTestId('queue-list').blur();
      await shot(`${theme}-queue`);
      // Rows of every status (with 4 or 5 action buttons) keep the progress column in one line.
      const lefts = await page.locator('.job-row:not(.nested) .row-progress').evaluateAll((els) => els.map((e) => Math.round(e.getBoundingClientRect().left)));
      expect(lefts.length).toBeGreaterThan(3);
      expect(new Set(lefts).size, `progress columns start at ${lefts.join(', ')}`).toBe(1);
      await page.getByRole('button', { name: 'More actions for podcast-ep42.wav' }).click();
      await expect(page.getByTestId('row-menu')).toBeVisible();
      await shot(`${theme}-row-menu`);
      await page.keyboard.press('Escape');
      await page.getByRole('button', { name: 'Close details' }).click();
      await page.getByRole('tab', { name: 'Servers' }).click();
      await page.getByRole('button', { name: /Media lab/ }).click();
      await expect(page.getByTestId('capabilities').getByTestId('plan')).toBeVisible();
      await shot(`${theme}-capabilities`);
      await page.getByRole('tab', { name: 'Settings' }).click();
      await expect(page.getByLabel('Bandwidth limit (per second)')).toHaveValue('6 MB');
      await shot(`${theme}-settings`);
      await page.getByRole('tab', { name: 'History' }).click();
      await expect(page.locator('.history-table tbody tr').first()).toBeVisible();
      await shot(`${theme}-history`);
    }

    // The README's picture: refreshed only when asked, so ordinary runs never touch tracked files.
    if (process.env.TUSK_UPDATE_SCREENSHOT === '1') await copyFile(join(artifacts, 'light-queue.png'), fileURLToPath(new URL('../../docs/screenshot.png', import.meta.url)));

    // Settings.theme overrides the system.
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.getByRole('tab', { name: 'Settings' }).click();
    await page.getByText('Light', { exact: true }).click();
    await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
    expect((await tusk.call<{ theme: string }>('getSettings')).theme).toBe('light');
    await page.getByText('Follow system').click();
    await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
    await tusk.call('pause', { kind: 'all' });
  } finally {
    await node.close();
    await conf.close();
  }
});
