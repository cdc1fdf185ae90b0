/**
 * The Servers view: what two different servers advertise (and what Tusk will do with each), and clear messages for a
 * server that cannot be reached or is not tus. Also adding a profile through the editor with a masked secret header.
 */
import { startConformanceServer } from '../../tests/servers/conformance';
import { startTusNodeServer } from '../../tests/servers/tus-node';
import type { ServerProfile } from '../../shared/types';
import { expect, test } from '../harness/fixtures';

test('capabilities of two servers differ as they advertise; unreachable and non-tus servers are explained', async ({ tusk }) => {
  const { page } = tusk;
  const node = await startTusNodeServer({ maxSize: 50 * 1024 * 1024 });
  const conf = await startConformanceServer({ checksumAlgorithms: ['sha1', 'sha256'], extensions: ['creation', 'checksum', 'termination', 'concatenation'] });
  try {
    await tusk.addProfile('Node server', node.endpoint);
    await tusk.addProfile('Conformance', conf.endpoint, { parallelUploads: 4 });
    await tusk.addProfile('Nobody home', 'http://127.0.0.1:9/files/');
    await tusk.addProfile('Not tus', tusk.appUrl);
    await tusk.open();
    await page.getByRole('tab', { name: 'Servers' }).click();
    const caps = page.getByTestId('capabilities');
    const ext = (name: string) => caps.locator(`[data-extension="${name}"]`);

    await page.getByRole('button', { name: /Node server/ }).click();
    await expect(caps.locator('[data-field=tus-version]')).toHaveText('1.0.0');
    await expect(ext('creation')).toContainText('Create uploads');
    await expect(ext('termination')).toContainText('Delete unfinished uploads on cancel');
    await expect(ext('checksum')).toHaveCount(0);
    await expect(ext('concatenation')).toHaveCount(0);
    await expect(caps.locator('[data-field=max-size]')).toHaveText('50 MB');
    await expect(caps.locator('[data-field=checksums]')).toHaveText('None');
    await expect(caps.getByTestId('plan')).toContainText('No checksums');
    await expect(caps.getByTestId('plan')).toContainText('Upload each file as one sequence');

    await page.getByRole('button', { name: /Conformance/ }).click();
    await expect(ext('checksum')).toContainText('Verify each chunk with a checksum');
    await expect(ext('concatenation')).toContainText('Upload parts in parallel');
    await expect(ext('creation-defer-length')).toHaveCount(0);
    await expect(caps.locator('[data-field=checksums]')).toHaveText('sha1, sha256');
    await expect(caps.locator('[data-field=max-size]')).toHaveText('No limit stated');
    await expect(caps.getByTestId('plan')).toContainText('Verify every chunk with sha256');
    await expect(caps.getByTestId('plan')).toContainText('Upload 4 parts of each file in parallel');

    // Refresh asks again.
    const before = tusk.bridge.desktop.calls.filter((c) => c === 'testConnection').length;
    await caps.getByRole('button', { name: 'Refresh' }).click();
    await expect.poll(() => tusk.bridge.desktop.calls.filter((c) => c === 'testConnection').length).toBe(before + 1);

    await page.getByRole('button', { name: /Nobody home/ }).click();
    await expect(caps.getByTestId('caps-error')).toContainText('The server cannot be reached.');

    await page.getByRole('button', { name: /Not tus/ }).click();
    await expect(caps.getByTestId('caps-error')).toContainText(/does not look like a tus server|cannot be used/);
  } finally {
    await node.close();
    await conf.close();
  }
});

test('a server added in the editor is tested before saving and its secret header is never shown back', async ({ tusk }) => {
  const { page } = tusk;
  const node = await startTusNodeServer();
  try {
    await tusk.open();
    await page.getByRole('button', { name: 'Add a server' }).click();
    const form = page.getByRole('form', { name: 'New server' });
    await form.getByLabel('Name').fill('Team drive');
    await form.getByLabel('Endpoint (tus URL)').fill('not a url');
    await form.getByRole('button', { name: 'Save' }).click();
    await expect(form.getByRole('alert')).toContainText('The endpoint is not a valid URL');

    await form.getByLabel('Endpoint (tus URL)').fill(node.endpoint);
    await form.getByRole('button', { name: 'Add header' }).click();
    await form.getByLabel('Header 1 name').fill('Authorization');
    await form.getByLabel('Header 1 value').fill('Bearer sekrit');
    await form.getByRole('checkbox', { name: 'Secret' }).check();
    await expect(form.getByLabel('Header 1 value')).toHaveAttribute('type', 'password');
    await form.getByRole('button', { name: 'Test connection' }).click();
    await expect(form.getByTestId('capabilities').locator('[data-field=tus-version]')).toHaveText('1.0.0');
    await form.getByRole('button', { name: 'Save' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Saved Team drive' })).toBeVisible();

    const [saved] = await tusk.call<ServerProfile[]>('listProfiles');
    expect(saved.name).toBe('Team drive');
    expect(saved.headers[0]).toMatchObject({ name: 'Authorization', secret: true });
    // The renderer never gets the secret back.
    expect(saved.headers[0].value).toBe('');
    await page.getByRole('button', { name: 'Edit' }).click();
    await expect(page.getByLabel('Header 1 value')).toHaveValue('');
    await expect(page.getByLabel('Header 1 value')).toHaveAttribute('placeholder', /stored/);
    // The toolbar now uploads there.
    await expect(page.getByRole('combobox', { name: 'Server profile for new uploads' })).toHaveValue(saved.id);
  } finally {
    await node.close();
  }
});
