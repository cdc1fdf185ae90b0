/**
 * Queue order and priority from the window, against the real engine: the row menu, Alt+arrow keys, Shift+F10, drag
 * to reorder, the details panel's priority and move buttons, a folder's priority. Every check of the list is also
 * made on the engine's own state (its snapshot's priority/order), and the first test lets the queue run with one
 * upload at a time and checks the files started in the order the window showed; sha256 of every upload.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import type { AddResult, JobView, QueueSnapshot } from '../../shared/types';
import { sha256File, writeRandomFile } from '../../tests/helpers/files';
import { startTusNodeServer, type TusNodeServer } from '../../tests/servers/tus-node';
import { expect, test, type Tusk } from '../harness/fixtures';

let server: TusNodeServer;
test.beforeEach(async () => {
  server = await startTusNodeServer();
});
test.afterEach(async () => {
  await server.close();
});

/** Names of the rows the list shows, top to bottom (folders by their name). */
function shownNames(page: Page): Promise<string[]> {
  return page
    .locator('[data-testid=queue-list] .row')
    .evaluateAll((rows) => rows.map((r) => r.querySelector('.name-text')?.textContent ?? '?'));
}

/** The engine's run order (what it would upload next), by name: priority desc, then order. */
async function engineOrder(tusk: Tusk): Promise<{ names: string[]; jobs: JobView[] }> {
  const jobs = (await tusk.call<QueueSnapshot>('getSnapshot')).jobs;
  const sorted = [...jobs].sort((a, b) => b.priority - a.priority || a.order - b.order);
  return { names: sorted.map((j) => j.name), jobs };
}

const row = (page: Page, name: string) => page.locator('[data-job-id]').filter({ has: page.locator('.name-text', { hasText: name }) });

async function writeFiles(dir: string, names: string[], size: number): Promise<string[]> {
  const paths: string[] = [];
  for (const [i, n] of names.entries()) {
    const p = join(dir, n);
    await writeRandomFile(p, size, 100 + i);
    paths.push(p);
  }
  return paths;
}

test('move the last file to the top, raise another, move one with Alt+↑: the list, the engine and the upload order agree', async ({ tusk }) => {
  test.setTimeout(90_000);
  const { page } = tusk;
  await tusk.addProfile('Local tus', server.endpoint);
  // One upload at a time, slowly: the first file holds the queue while the others wait (all > 64 KiB: full slots).
  await tusk.call('updateSettings', { concurrency: 1 });
  await tusk.call('setBandwidthLimit', 20 * 1024);
  const [blocker] = await writeFiles(tusk.dir, ['blocker.bin'], 600_000);
  const waiting = await writeFiles(tusk.dir, ['a.bin', 'b.bin', 'c.bin', 'd.bin'], 150_000);
  await tusk.open();
  await tusk.call<AddResult>('addPaths', { paths: [blocker] });
  await expect(row(page, 'blocker.bin')).toHaveAttribute('data-status', 'uploading');
  await tusk.call<AddResult>('addPaths', { paths: waiting });
  await expect(page.locator('[data-job-id][data-status=queued]')).toHaveCount(4);
  expect(await shownNames(page)).toEqual(['blocker.bin', 'a.bin', 'b.bin', 'c.bin', 'd.bin']);

  // The running file cannot be moved; its menu says so by disabling the moves.
  await page.getByRole('button', { name: 'More actions for blocker.bin' }).click();
  await expect(page.getByRole('menu', { name: 'Actions for blocker.bin' })).toBeVisible();
  await expect(page.getByRole('menuitem', { name: 'Move to top' })).toHaveAttribute('aria-disabled', 'true');
  await page.keyboard.press('Escape');
  await expect(page.getByRole('menu')).toBeHidden();
  await expect(page.getByRole('button', { name: 'More actions for blocker.bin' })).toBeFocused();

  // d (last) to the top through the row menu.
  await page.getByRole('button', { name: 'More actions for d.bin' }).click();
  await expect(page.getByRole('menuitem', { name: 'Move to bottom' })).toHaveAttribute('aria-disabled', 'true');
  await page.getByRole('menuitem', { name: 'Move to top' }).click();
  await expect.poll(() => shownNames(page)).toEqual(['d.bin', 'blocker.bin', 'a.bin', 'b.bin', 'c.bin']);
  await expect(page.getByTestId('queue-announcer')).toHaveText('d.bin moved to position 1 of 5.');
  const list = page.getByTestId('queue-list');
  await expect(list).toBeFocused();
  const dId = await row(page, 'd.bin').getAttribute('data-job-id');
  await expect(list).toHaveAttribute('aria-activedescendant', `row-${dId}`);
  expect((await engineOrder(tusk)).names).toEqual(['d.bin', 'blocker.bin', 'a.bin', 'b.bin', 'c.bin']);

  // b to high priority through the row menu: it jumps above everything normal and shows a marker.
  await page.getByRole('button', { name: 'More actions for b.bin' }).click();
  await expect(page.getByRole('menuitemradio', { name: 'Normal priority' })).toHaveAttribute('aria-checked', 'true');
  await page.getByRole('menuitemradio', { name: 'High priority' }).click();
  await expect(row(page, 'b.bin').locator('[data-field=priority]')).toHaveText('↑High priority');
  await expect(row(page, 'b.bin')).toHaveAttribute('data-priority', 'high');
  await expect.poll(() => shownNames(page)).toEqual(['b.bin', 'd.bin', 'blocker.bin', 'a.bin', 'c.bin']);
  await expect(page.getByTestId('queue-announcer')).toHaveText(/b\.bin moved to position 1 of 5\.|Priority of b\.bin: high\./);
  const engine = await engineOrder(tusk);
  expect(engine.names).toEqual(['b.bin', 'd.bin', 'blocker.bin', 'a.bin', 'c.bin']);
  expect(engine.jobs.find((j) => j.name === 'b.bin')?.priority).toBe(10);

  // c up one with Alt+↑ on the focused list: focus and selection stay on c.
  await row(page, 'c.bin').click({ position: { x: 10, y: 10 } });
  await list.focus();
  await page.keyboard.press('Alt+ArrowUp');
  await expect.poll(() => shownNames(page)).toEqual(['b.bin', 'd.bin', 'blocker.bin', 'c.bin', 'a.bin']);
  const cId = await row(page, 'c.bin').getAttribute('data-job-id');
  await expect(list).toBeFocused();
  await expect(list).toHaveAttribute('aria-activedescendant', `row-${cId}`);
  await expect(page.getByTestId('queue-announcer')).toHaveText('c.bin moved to position 4 of 5.');
  // At an edge a key says why nothing happened.
  await row(page, 'b.bin').click({ position: { x: 10, y: 10 } });
  await list.focus();
  await page.keyboard.press('Alt+Home');
  await expect(page.getByTestId('queue-announcer')).toHaveText('b.bin is already first; it cannot move to the top.');
  expect((await engineOrder(tusk)).names).toEqual(['b.bin', 'd.bin', 'blocker.bin', 'c.bin', 'a.bin']);

  // Let it run, one at a time: the waiting files start in the order the window showed.
  await tusk.call('setBandwidthLimit', 0);
  await expect(page.locator('[data-job-id][data-status=completed]')).toHaveCount(5, { timeout: 30_000 });
  const done = (await tusk.call<QueueSnapshot>('getSnapshot')).jobs.filter((j) => j.name !== 'blocker.bin');
  const started = [...done].sort((x, y) => (x.startedAt ?? 0) - (y.startedAt ?? 0)).map((j) => j.name);
  expect(started).toEqual(['b.bin', 'd.bin', 'c.bin', 'a.bin']);
  for (const j of (await tusk.call<QueueSnapshot>('getSnapshot')).jobs) {
    expect(await server.sha256(j.uploadUrl as string), `bytes of ${j.name}`).toBe(await sha256File(j.path));
  }
});

test('drag a row to a new place; the keyboard menu; priority from the details panel and for a whole folder', async ({ tusk }) => {
  const { page } = tusk;
  await tusk.addProfile('Local tus', server.endpoint);
  // Nothing runs: every file waits paused, so the order is all that changes.
  const loose = await writeFiles(tusk.dir, ['one.bin', 'two.bin', 'three.bin'], 100_000);
  const folder = join(tusk.dir, 'shoot');
  await mkdir(folder);
  await writeFiles(folder, ['x.jpg', 'y.jpg'], 100_000);
  await tusk.call('setBandwidthLimit', 1024);
  await tusk.call<AddResult>('addPaths', { paths: [...loose, folder] });
  await tusk.call('pause', { kind: 'all' });
  await tusk.open();
  await expect(page.locator('[data-job-id][data-status=paused]')).toHaveCount(3);
  expect(await shownNames(page)).toEqual(['one.bin', 'two.bin', 'three.bin', 'shoot']);

  // Drag three.bin onto the top edge of the first row.
  const first = page.locator('[data-testid=queue-list] .row').first();
  await row(page, 'three.bin').dragTo(first, { targetPosition: { x: 200, y: 4 } });
  await expect.poll(() => shownNames(page)).toEqual(['three.bin', 'one.bin', 'two.bin', 'shoot']);
  await expect(page.getByTestId('drop-line')).toHaveCount(0);
  expect((await engineOrder(tusk)).names.filter((n) => !n.endsWith('.jpg'))).toEqual(['three.bin', 'one.bin', 'two.bin']);
  await expect(page.getByRole('status').filter({ hasText: 'Nothing to add' })).toHaveCount(0);

  // Keyboard only: select the last file, open its menu with Shift+F10, choose "Move to top" with Enter.
  const list = page.getByTestId('queue-list');
  await list.focus();
  await page.keyboard.press('Home');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await expect(list).toHaveAttribute('aria-activedescendant', `row-${await row(page, 'two.bin').getAttribute('data-job-id')}`);
  await page.keyboard.press('Shift+F10');
  await expect(page.getByRole('menu', { name: 'Actions for two.bin' })).toBeVisible();
  await expect(page.getByRole('menuitem', { name: 'Move to top' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect.poll(() => shownNames(page)).toEqual(['two.bin', 'three.bin', 'one.bin', 'shoot']);
  await expect(list).toBeFocused();

  // Two quick Alt+↓ presses move two places (each move starts from the order the previous one produced).
  await page.keyboard.press('Alt+ArrowDown');
  await page.keyboard.press('Alt+ArrowDown');
  await expect.poll(() => shownNames(page)).toEqual(['three.bin', 'one.bin', 'two.bin', 'shoot']);
  await expect(page.getByTestId('queue-announcer')).toHaveText('two.bin moved to position 3 of 4.');
  await page.keyboard.press('Alt+Home');
  await expect.poll(() => shownNames(page)).toEqual(['two.bin', 'three.bin', 'one.bin', 'shoot']);

  // The details panel: low priority for two.bin sends it below the normal ones (and the folder).
  await expect(page.getByTestId('details')).toBeVisible();
  const choice = page.getByTestId('priority-choice');
  await expect(choice.getByRole('radio', { name: 'Normal' })).toBeChecked();
  await choice.getByText('Low', { exact: true }).click();
  await expect(choice.getByRole('radio', { name: 'Low' })).toBeChecked();
  await expect(row(page, 'two.bin').locator('[data-field=priority]')).toContainText('Low');
  await expect.poll(() => shownNames(page)).toEqual(['three.bin', 'one.bin', 'shoot', 'two.bin']);
  await expect(page.getByTestId('details').locator('[data-field=position]')).toHaveText('4 of 4');
  await expect(page.getByRole('button', { name: 'Move to bottom: two.bin' })).toBeDisabled();
  // Move up from the panel: above the folder, taking the folder's priority (the engine keeps priority/order consistent).
  await page.getByRole('button', { name: 'Move up: two.bin' }).click();
  await expect.poll(() => shownNames(page)).toEqual(['three.bin', 'one.bin', 'two.bin', 'shoot']);
  expect((await engineOrder(tusk)).names.filter((n) => !n.endsWith('.jpg'))).toEqual(['three.bin', 'one.bin', 'two.bin']);

  // A whole folder to high priority from its row menu: all its files, a marker on the folder, first in the list.
  await page.getByRole('button', { name: 'More actions for folder shoot' }).click();
  await page.getByRole('menuitemradio', { name: 'High priority for all files' }).click();
  const batchRow = page.locator('[data-batch-id]');
  await expect(batchRow.locator('[data-field=priority]')).toContainText('High');
  await expect.poll(() => shownNames(page)).toEqual(['shoot', 'three.bin', 'one.bin', 'two.bin']);
  const { jobs, names } = await engineOrder(tusk);
  expect(jobs.filter((j) => j.batchId).map((j) => j.priority)).toEqual([10, 10]);
  expect(names.slice(0, 2).sort()).toEqual(['x.jpg', 'y.jpg']);

  // One member back to normal: the folder shows "Mixed"; inside the open folder a member moves among its siblings.
  await page.getByRole('button', { name: 'Expand folder shoot' }).click();
  await page.getByRole('button', { name: 'More actions for y.jpg' }).click();
  await expect(page.getByRole('menuitem', { name: 'Move up' })).not.toHaveAttribute('aria-disabled', 'true');
  await page.getByRole('menuitem', { name: 'Move up' }).click();
  await expect.poll(() => shownNames(page)).toEqual(['shoot', 'y.jpg', 'x.jpg', 'three.bin', 'one.bin', 'two.bin']);
  await expect(page.getByTestId('queue-announcer')).toHaveText('y.jpg moved to file 1 of 2 in shoot.');
  await page.getByRole('button', { name: 'More actions for x.jpg' }).click();
  await page.getByRole('menuitemradio', { name: 'Normal priority' }).click();
  await expect(batchRow.locator('[data-field=priority]')).toContainText('Mixed');

  // Then it all uploads, byte-identical.
  await tusk.call('setBandwidthLimit', 0);
  await tusk.call('resume', { kind: 'all' });
  await expect(page.locator('[data-job-id][data-status=completed]')).toHaveCount(5, { timeout: 30_000 });
  for (const j of (await tusk.call<QueueSnapshot>('getSnapshot')).jobs) {
    expect(await server.sha256(j.uploadUrl as string), `bytes of ${j.name}`).toBe(await sha256File(j.path));
  }
});
