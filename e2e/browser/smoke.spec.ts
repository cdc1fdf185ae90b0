/**
 * The window's first moments: first-run guidance without a server, the native dialogs' buttons, row actions that go
 * to the OS (reveal, copy URL), and a clear message when the page is opened without Tusk behind it.
 */
import { join } from 'node:path';
import type { QueueSnapshot } from '../../shared/types';
import { startTusNodeServer } from '../../tests/servers/tus-node';
import { sha256File, writeRandomFile } from '../../tests/helpers/files';
import { expect, test } from '../harness/fixtures';

test('first run without a server says what to do first', async ({ tusk }) => {
  const { page } = tusk;
  await tusk.open();
  await expect(page.getByRole('heading', { name: /Drop files or folders/ })).toBeVisible();
  await expect(page.getByText('First, tell Tusk where to upload: add a server.')).toBeVisible();
  await expect(page.getByRole('combobox', { name: 'Server profile for new uploads' })).toBeDisabled();
  await page.getByRole('button', { name: 'Add a server' }).click();
  await expect(page.getByRole('form', { name: 'New server' })).toBeVisible();
});

test('Add files uses the dialog; reveal and copy URL reach the desktop side', async ({ tusk }) => {
  const { page } = tusk;
  const server = await startTusNodeServer();
  try {
    await tusk.addProfile('Local tus', server.endpoint);
    const file = join(tusk.dir, 'notes.txt');
    await writeRandomFile(file, 50_000, 4);
    await tusk.open();
    // Cancelled dialog: nothing happens.
    await page.getByRole('button', { name: 'Add files' }).first().click();
    await expect.poll(() => tusk.bridge.desktop.calls.includes('addFilesWithDialog')).toBe(true);
    await expect(page.locator('[data-job-id]')).toHaveCount(0);

    tusk.bridge.desktop.dialogFiles = [file];
    await page.getByRole('button', { name: 'Add files' }).first().click();
    const row = page.locator('[data-job-id]');
    await expect(row).toHaveAttribute('data-status', 'completed');
    const [job] = (await tusk.call<QueueSnapshot>('getSnapshot')).jobs;
    expect(await server.sha256(job.uploadUrl as string)).toBe(await sha256File(file));

    await page.getByRole('button', { name: 'Show file in folder notes.txt' }).click();
    await page.getByRole('button', { name: 'Copy upload URL notes.txt' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Upload URL copied' })).toBeVisible();
    expect(tusk.bridge.desktop.revealed).toEqual([job.id]);
    expect(tusk.bridge.desktop.copied).toEqual([{ jobId: job.id, which: 'upload' }]);
  } finally {
    await server.close();
  }
});

test('opened without Tusk behind it, the window says so instead of showing a blank page', async ({ page, staticServer }) => {
  await page.goto(staticServer.url);
  await expect(page.getByRole('alert')).toContainText('Tusk could not start its window');
  await expect(page.getByRole('alert')).toContainText('window.tusk is missing');
});
