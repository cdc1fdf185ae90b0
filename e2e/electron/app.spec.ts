/**
 * The desktop app end to end, through the real preload and IPC: files added with `window.tusk.api.addPaths` upload
 * to the embedded local tus server byte for byte; a large upload interrupted by quitting resumes on relaunch.
 * Where no Electron binary is installed every test skips, and one line says so.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NO_ELECTRON_REASON, expect, hasElectron, sha256File, snapshot, storedPath, test } from './fixtures';

if (!hasElectron) console.log(NO_ELECTRON_REASON);

test.describe('Tusk desktop', () => {
  test.skip(!hasElectron, NO_ELECTRON_REASON);

  test('uploads files added through IPC to the embedded server, byte for byte', async ({ launch, workDir }) => {
    const files = [
      { path: join(workDir, 'small.txt'), data: Buffer.from('hello tusk\n') },
      { path: join(workDir, 'random.bin'), data: randomBytes(6 * 1024 * 1024 + 123) },
    ];
    for (const f of files) await writeFile(f.path, f.data);
    const { page, userData, app } = await launch();

    const profiles = await page.evaluate(() => window.tusk!.api.listProfiles());
    const local = profiles.find((p) => p.builtIn);
    expect(local?.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/files\/$/);

    const added = await page.evaluate((paths) => window.tusk!.api.addPaths({ paths }), files.map((f) => f.path));
    expect(added.rejected).toEqual([]);
    expect(added.jobIds).toHaveLength(2);

    await expect
      .poll(async () => (await snapshot(page)).jobs.map((j) => j.status).sort(), { timeout: 30_000 })
      .toEqual(['completed', 'completed']);
    const jobs = (await snapshot(page)).jobs;
    for (const f of files) {
      const job = jobs.find((j) => j.path === f.path);
      expect(job?.uploadUrl).toBeTruthy();
      expect(await sha256File(storedPath(userData, job!.uploadUrl!))).toBe(await sha256File(f.path));
    }
    // The window is the sandboxed, isolated app page.
    expect(page.url()).toBe('app://tusk/index.html');
    expect(await page.evaluate(() => typeof (globalThis as { require?: unknown }).require)).toBe('undefined');
    await app.close();
  });

  test('a large upload interrupted by quitting resumes after relaunch', async ({ launch, workDir }) => {
    const big = join(workDir, 'big.bin');
    await writeFile(big, randomBytes(96 * 1024 * 1024));
    let { page, app, userData } = await launch();
    // Slow the upload down so it is certainly unfinished when we quit.
    await page.evaluate(() => window.tusk!.api.setBandwidthLimit(8 * 1024 * 1024));
    const { jobIds } = await page.evaluate((p) => window.tusk!.api.addPaths({ paths: [p] }), big);
    expect(jobIds).toHaveLength(1);
    await expect
      .poll(async () => (await snapshot(page)).jobs[0]?.offset ?? 0, { timeout: 20_000 })
      .toBeGreaterThan(8 * 1024 * 1024);
    const before = (await snapshot(page)).jobs[0];
    expect(before.status).not.toBe('completed');
    expect(before.uploadUrl).toBeTruthy();
    await app.close();

    ({ page, app, userData } = await launch());
    await page.evaluate(() => window.tusk!.api.setBandwidthLimit(0));
    await expect.poll(async () => (await snapshot(page)).jobs[0]?.status, { timeout: 60_000 }).toBe('completed');
    const after = (await snapshot(page)).jobs[0];
    expect(after.id).toBe(before.id);
    // The same server upload continued (it was not started over).
    expect(after.uploadUrl).toBe(before.uploadUrl);
    expect(await sha256File(storedPath(userData, after.uploadUrl!))).toBe(await sha256File(big));
    await app.close();
  });
});
