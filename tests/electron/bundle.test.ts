/**
 * The esbuild bundles load: the main bundle is evaluated in a child Node process with a stand-in for the `electron`
 * module (the only thing that cannot be real here) and must reach the single-instance check; the preload bundle
 * must require nothing but `electron` and must build `window.tusk` from every call name.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callNames } from '../../shared/ipc';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tusk-bundle-'));
  const common = { bundle: true, format: 'cjs' as const, platform: 'node' as const, external: ['electron'], logLevel: 'silent' as const };
  await build({ ...common, entryPoints: ['main/electron/index.ts'], outfile: join(dir, 'main', 'index.cjs'), target: 'node20' });
  await build({ ...common, entryPoints: ['main/electron/preload.ts'], outfile: join(dir, 'main', 'preload.cjs'), target: 'chrome130' });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A CommonJS hook that answers require('electron') with a recording stand-in. */
const fakeElectron = `
const Module = require('node:module');
const calls = [];
globalThis.__calls = calls;
const rec = (name, ret) => (...args) => { calls.push([name, args]); return typeof ret === 'function' ? ret(...args) : ret; };
const listeners = {};
const fake = {
  app: { requestSingleInstanceLock: rec('app.requestSingleInstanceLock', false), quit: rec('app.quit'), on: rec('app.on'),
         whenReady: rec('app.whenReady', () => new Promise(() => {})) },
  protocol: { registerSchemesAsPrivileged: rec('protocol.registerSchemesAsPrivileged') },
  contextBridge: { exposeInMainWorld: rec('contextBridge.exposeInMainWorld') },
  ipcRenderer: { invoke: rec('ipcRenderer.invoke', async () => ({ ok: true, value: 42 })), on: rec('ipcRenderer.on'),
                 removeListener: rec('ipcRenderer.removeListener'), send: rec('ipcRenderer.send') },
  webUtils: { getPathForFile: () => '/x' },
};
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) { return request === 'electron' ? 'electron' : resolve.call(this, request, ...rest); };
require.cache.electron = { id: 'electron', filename: 'electron', loaded: true, exports: fake };
globalThis.window = { addEventListener: (type) => calls.push(['window.addEventListener', [type]]) };
process.on('exit', () => process.stdout.write(JSON.stringify(calls.map(([n, a]) => [n, n === 'contextBridge.exposeInMainWorld' ? [a[0], Object.keys(a[1].api)] : n === 'window.addEventListener' ? a : a.length]))));
`;

describe('bundles', () => {
  it('the main bundle loads all its dependencies and stops at the single-instance lock', async () => {
    await writeFile(join(dir, 'fake-electron.cjs'), fakeElectron);
    const out = execFileSync(process.execPath, ['-r', join(dir, 'fake-electron.cjs'), join(dir, 'main', 'index.cjs')], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    const names = (JSON.parse(out) as Array<[string, unknown]>).map(([n]) => n);
    expect(names).toEqual(['protocol.registerSchemesAsPrivileged', 'app.requestSingleInstanceLock', 'app.quit']);
  });
  it('the preload exposes every call of the contract and listens for trusted drops', async () => {
    await writeFile(join(dir, 'fake-electron.cjs'), fakeElectron);
    const out = execFileSync(process.execPath, ['-r', join(dir, 'fake-electron.cjs'), join(dir, 'main', 'preload.cjs')], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    const calls = JSON.parse(out) as Array<[string, unknown]>;
    const exposed = calls.find(([n]) => n === 'contextBridge.exposeInMainWorld');
    expect(exposed?.[1]).toEqual(['tusk', callNames]);
    expect(calls.filter(([n]) => n === 'window.addEventListener').map(([, a]) => a)).toEqual([['drop'], ['online'], ['offline']]);
  });
});
