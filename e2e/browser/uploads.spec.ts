/**
 * Uploads driven through the window: drops, the bandwidth limit, folders as batches, pause/resume/cancel/retry,
 * history export. Real engine (child process), real @tus/server, real files; every upload ends with a sha256 check of
 * what the server stored.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { JobView, QueueSnapshot } from '../../shared/types';
import { startFaultProxy } from '../../tests/servers/fault-proxy';
import { startTusNodeServer, type TusNodeServer } from '../../tests/servers/tus-node';
import { sha256File, writeRandomFile } from '../../tests/helpers/files';
import { expect, test, type Tusk } from '../harness/fixtures';

let server: TusNodeServer;
test.beforeEach(async () => {
  server = await startTusNodeServer();
});
test.afterEach(async () => {
  await server.close();
});

async function jobs(tusk: Tusk): Promise<JobView[]> {
  return (await tusk.call<QueueSnapshot>('getSnapshot')).jobs;
}

/** Every completed job's bytes on the server equal its source file. */
async function expectStoredIdentical(tusk: Tusk, sha: (uploadUrl: string) => Promise<string>, expected: number): Promise<void> {
  const done = (await jobs(tusk)).filter((j) => j.status === 'completed');
  expect(done).toHaveLength(expected);
  for (const j of done) {
    expect(j.uploadUrl, `upload URL of ${j.name}`).toBeTruthy();
    expect(await sha(j.uploadUrl as string), `bytes of ${j.name}`).toBe(await sha256File(j.path));
  }
}

test('three dropped files upload byte-identical, with speed and ETA shown while running; history lists and exports them', async ({ tusk }) => {
  const { page } = tusk;
  await tusk.addProfile('Local tus', server.endpoint);
  const files = await Promise.all([1, 2, 3].map((n) => writeRandomFile(join(tusk.dir, `photo-${n}.jpg`), 700_000, n).then(() => join(tusk.dir, `photo-${n}.jpg`))));
  await tusk.open();
  await expect(page.getByRole('heading', { name: /Drop files or folders/ })).toBeVisible();

  // The bandwidth limit, changed in place, keeps the uploads running long enough to be watched.
  await page.getByRole('button', { name: /Bandwidth limit: Unlimited/ }).click();
  await page.locator('[data-field=bandwidth-input]').fill('600 KB');
  await page.keyboard.press('Enter');
  await expect(page.getByRole('button', { name: /Bandwidth limit: 600 KB\/s/ })).toBeVisible();

  const dropping = import('../harness/bridge').then(({ dropPaths }) => dropPaths(page, files, { holdMs: 400 }));
  await expect(page.getByTestId('drop-overlay')).toContainText('to Local tus');
  await dropping;
  await expect(page.getByTestId('drop-overlay')).toBeHidden();
  await expect(page.locator('[data-job-id]')).toHaveCount(3);
  await expect(page.getByRole('status').filter({ hasText: '3 files added' })).toBeVisible();

  // While running: a speed, an ETA, an overall speed.
  await expect(page.locator('[data-field=speed]').filter({ hasText: /\/s$/ }).first()).toBeVisible();
  await expect(page.locator('[data-field=eta]').filter({ hasText: /left$/ }).first()).toBeVisible();
  await expect(page.locator('[data-field=overall-speed]')).toHaveText(/\/s$/);
  await expect(page.locator('.chip[data-status=uploading]').first()).toBeVisible();

  await expect(page.locator('[data-job-id][data-status=completed]')).toHaveCount(3, { timeout: 30_000 });
  await expect(page.locator('[data-field=files]')).toContainText('3 of 3 files done');
  await expectStoredIdentical(tusk, (u) => server.sha256(u), 3);

  // History: all three, a filter, an export through the (stand-in) save dialog.
  await page.getByRole('tab', { name: 'History' }).click();
  await expect(page.locator('.history-table tbody tr')).toHaveCount(3);
  await page.getByRole('searchbox', { name: 'Filter history' }).fill('photo-2');
  await expect(page.locator('.history-table tbody tr')).toHaveCount(1);
  await page.getByRole('button', { name: 'Export CSV' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'History saved to' })).toBeVisible();
  expect(tusk.bridge.desktop.exported).toHaveLength(1);
  for (const n of [1, 2, 3]) expect(tusk.bridge.desktop.exported[0].content).toContain(`photo-${n}.jpg`);

  // Clear finished empties the queue; the first-run state comes back.
  await page.getByRole('tab', { name: 'Queue' }).click();
  await page.getByRole('button', { name: 'Clear finished' }).click();
  await expect(page.getByRole('heading', { name: /Drop files or folders/ })).toBeVisible();
});

test('a dropped folder of 200 nested files is one batch with aggregate progress, and all of it arrives', async ({ tusk }) => {
  const { page } = tusk;
  await tusk.addProfile('Local tus', server.endpoint);
  const root = join(tusk.dir, 'shoot');
  for (let i = 0; i < 200; i++) {
    const sub = join(root, `day-${i % 4}`, i % 3 === 0 ? 'raw' : 'edit');
    await mkdir(sub, { recursive: true });
    await writeRandomFile(join(sub, `img-${String(i).padStart(3, '0')}.dat`), 2_000 + i * 37, i + 10);
  }
  await tusk.call('setBandwidthLimit', 400 * 1024);
  await tusk.open();
  const { dropPaths } = await import('../harness/bridge');
  await dropPaths(page, [root]);

  const batch = page.locator('[data-batch-id]');
  await expect(batch).toHaveCount(1);
  await expect(batch).toContainText('shoot');
  // Collapsed by default: one row for 200 files.
  await expect(page.locator('[data-job-id]')).toHaveCount(0);
  await expect(batch.locator('[data-field=batch-count]')).toContainText(/of 200 files done/);
  // Aggregate progress moves before the end.
  await expect
    .poll(async () => Number(await batch.getByRole('progressbar').getAttribute('aria-valuenow')), { timeout: 20_000 })
    .toBeGreaterThan(0);

  // Expanding lists the members with their relative paths (virtualized: only some are in the DOM).
  await page.getByRole('button', { name: 'Expand folder shoot' }).click();
  await expect(page.locator('[data-job-id]').first()).toBeVisible();
  await expect(page.locator('.job-row.nested .relpath').first()).toContainText(/day-\d\/(raw|edit)\/img-/);

  await tusk.call('setBandwidthLimit', 0);
  await expect(batch.locator('[data-field=batch-count]')).toContainText('200 of 200 files done', { timeout: 30_000 });
  await expect(batch).toHaveAttribute('data-status', 'completed');
  await expectStoredIdentical(tusk, (u) => server.sha256(u), 200);
});

test('pause and resume one job and everything; cancel; retry after a failure', async ({ tusk }) => {
  const { page } = tusk;
  const proxy = await startFaultProxy({ target: server.origin });
  try {
    await tusk.addProfile('Via proxy', proxy.endpointFor(server.endpoint));
    const big = join(tusk.dir, 'big.iso');
    const other = join(tusk.dir, 'other.iso');
    const doomed = join(tusk.dir, 'doomed.tmp');
    await writeRandomFile(big, 1_200_000, 7);
    await writeRandomFile(other, 1_200_000, 8);
    await writeRandomFile(doomed, 1_200_000, 9);
    await tusk.call('setBandwidthLimit', 300 * 1024);
    await tusk.open();
    const { dropPaths } = await import('../harness/bridge');
    await dropPaths(page, [big, other, doomed]);
    const row = (name: string) => page.locator('[data-job-id]').filter({ hasText: name });
    await expect(row('big.iso')).toHaveAttribute('data-status', 'uploading');

    // One job.
    await page.getByRole('button', { name: 'Pause big.iso' }).click();
    await expect(row('big.iso')).toHaveAttribute('data-status', 'paused');
    await expect(row('big.iso').locator('.chip')).toHaveText('Paused');
    await page.getByRole('button', { name: 'Resume big.iso' }).click();
    await expect(row('big.iso')).not.toHaveAttribute('data-status', 'paused');

    // Cancel one.
    await page.getByRole('button', { name: 'Cancel doomed.tmp' }).click();
    await expect(row('doomed.tmp')).toHaveAttribute('data-status', 'cancelled');

    // Everything.
    await page.getByRole('button', { name: 'Pause all' }).click();
    await expect(row('big.iso')).toHaveAttribute('data-status', 'paused');
    await expect(row('other.iso')).toHaveAttribute('data-status', 'paused');
    await page.getByRole('button', { name: 'Resume all' }).click();
    await expect(row('big.iso')).not.toHaveAttribute('data-status', 'paused');
    await expect(row('other.iso')).not.toHaveAttribute('data-status', 'paused');
    await tusk.call('setBandwidthLimit', 0);
    await expect(row('big.iso')).toHaveAttribute('data-status', 'completed', { timeout: 30_000 });
    await expect(row('other.iso')).toHaveAttribute('data-status', 'completed', { timeout: 30_000 });

    // A failure the queue does not retry by itself (403), then Retry from the row.
    const rejected = join(tusk.dir, 'rejected.bin');
    await writeRandomFile(rejected, 300_000, 11);
    proxy.addFault({ kind: 'status', status: 403, body: 'no', match: { method: 'POST' } });
    await dropPaths(page, [rejected]);
    await expect(row('rejected.bin')).toHaveAttribute('data-status', 'failed', { timeout: 20_000 });
    await expect(row('rejected.bin').locator('.chip')).toContainText(/Failed: .*403/);
    await page.getByRole('button', { name: 'Retry rejected.bin' }).click();
    await expect(row('rejected.bin')).toHaveAttribute('data-status', 'completed', { timeout: 20_000 });

    await expectStoredIdentical(tusk, (u) => server.sha256(u), 3);
    const cancelled = (await jobs(tusk)).find((j) => j.name === 'doomed.tmp');
    expect(cancelled?.status).toBe('cancelled');
  } finally {
    await proxy.close();
  }
});
