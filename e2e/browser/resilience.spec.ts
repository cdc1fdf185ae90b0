/**
 * The window while things go wrong: a server that fails intermittently (retry countdown, attempt count, the attempt
 * log in the details panel) and an engine killed mid-upload (SIGKILL) then started again on the same state dir.
 */
import { join } from 'node:path';
import type { QueueSnapshot } from '../../shared/types';
import { startFaultProxy } from '../../tests/servers/fault-proxy';
import { startTusNodeServer } from '../../tests/servers/tus-node';
import { sha256File, writeRandomFile } from '../../tests/helpers/files';
import { dropPaths } from '../harness/bridge';
import { expect, test } from '../harness/fixtures';

test.describe('intermittent server failures', () => {
  // Slow enough retries that the countdown is visible, fast enough for a short test.
  test.use({ engineTuning: { retryBaseDelayMs: 2500, retryMaxDelayMs: 4000 } });

  test('show "waiting to retry" with a countdown and the attempt, then succeed', async ({ tusk }) => {
    const { page } = tusk;
    const server = await startTusNodeServer();
    const proxy = await startFaultProxy({ target: server.origin });
    try {
      await tusk.addProfile('Flaky', proxy.endpointFor(server.endpoint));
      const file = join(tusk.dir, 'report.pdf');
      await writeRandomFile(file, 400_000, 3);
      // The first two PATCHes fail with 503.
      proxy.addFault({ kind: 'status', status: 503, body: 'busy', match: { method: 'PATCH', times: 2 } });
      await tusk.open();
      await dropPaths(page, [file]);
      const row = page.locator('[data-job-id]').filter({ hasText: 'report.pdf' });
      const chip = row.locator('.chip');
      await expect(chip).toHaveAttribute('data-status', 'retrying');
      await expect(chip).toContainText(/Waiting to retry in \d+s/);
      await expect(chip).toContainText(/attempt \d+/);
      // The countdown counts.
      const first = Number(/in (\d+)s/.exec((await chip.textContent()) ?? '')?.[1]);
      await expect.poll(async () => Number(/in (\d+)s/.exec((await chip.textContent()) ?? '')?.[1] ?? -1)).toBeLessThan(first);

      // The details panel shows the error and, in the attempt log, each retry with its delay.
      await row.click();
      const details = page.getByTestId('details');
      await expect(details.getByRole('heading', { name: 'report.pdf' })).toBeVisible();
      await expect(row).toHaveAttribute('data-status', 'completed', { timeout: 30_000 });
      await expect(details.locator('.chip')).toHaveText('Completed');
      await expect(details.getByTestId('attempt-log')).toContainText('503');
      await expect(details.getByTestId('attempt-log')).toContainText(/next try in \d+s/);
      await expect(details).toContainText(server.origin.replace('http://', '').split(':')[0]);
      const [job] = (await tusk.call<QueueSnapshot>('getSnapshot')).jobs;
      expect(job.attempt).toBeGreaterThanOrEqual(3);
      await expect(details).toContainText(job.uploadUrl as string);
      expect(await server.sha256(job.uploadUrl as string)).toBe(await sha256File(file));
    } finally {
      await proxy.close();
      await server.close();
    }
  });
});

test('the engine killed mid-upload comes back on the same state dir; the reloaded page shows the queue and it finishes', async ({ tusk }) => {
  const { page } = tusk;
  const server = await startTusNodeServer();
  try {
    await tusk.addProfile('Local tus', server.endpoint);
    const files = [join(tusk.dir, 'a.mov'), join(tusk.dir, 'b.mov')];
    await writeRandomFile(files[0], 1_500_000, 21);
    await writeRandomFile(files[1], 1_500_000, 22);
    await tusk.call('setBandwidthLimit', 500 * 1024);
    await tusk.open();
    await dropPaths(page, files);
    const rows = page.locator('[data-job-id]');
    await expect(rows).toHaveCount(2);
    // Wait until bytes are on the wire, then crash the engine.
    await expect
      .poll(async () => (await tusk.call<QueueSnapshot>('getSnapshot')).jobs.reduce((a, j) => a + j.offset, 0), { timeout: 15_000 })
      .toBeGreaterThan(100_000);
    await tusk.restartEngine(undefined, { kill: true });
    await tusk.reload();

    await expect(rows).toHaveCount(2);
    await expect(page.locator('[data-job-id][data-status=completed]')).toHaveCount(2, { timeout: 30_000 });
    const snap = await tusk.call<QueueSnapshot>('getSnapshot');
    expect(snap.jobs).toHaveLength(2);
    for (const j of snap.jobs) expect(await server.sha256(j.uploadUrl as string)).toBe(await sha256File(j.path));
    // Resumed, not restarted: the server holds exactly one upload per file.
    expect(await server.uploadIds()).toHaveLength(2);
  } finally {
    await server.close();
  }
});
