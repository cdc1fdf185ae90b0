import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { EngineApi } from '../../shared/ipc';
import type { JobDetails, JobView } from '../../shared/types';
import { createDesktopHandlers } from '../../main/electron/desktop-handlers';
import type { DesktopPlatform } from '../../main/electron/desktop-handlers';
import { loginItemPlan } from '../../main/electron/login-item';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

const job = (over: Partial<JobView> = {}): JobView => ({
  id: 'j1',
  profileId: 'p',
  path: '/data/a.bin',
  name: 'a.bin',
  size: 10,
  offset: 10,
  status: 'completed',
  priority: 0,
  order: 0,
  speed: 0,
  attempt: 1,
  createdAt: 0,
  uploadUrl: 'http://127.0.0.1:1/files/abc',
  ...over,
});

/** A fake engine recording grants and the calls the handlers make, in order. */
function fakeEngine(details: JobView = job()) {
  const log: string[] = [];
  const api = {
    addPaths: async (r: { paths: string[]; profileId?: string }) => {
      log.push(`addPaths:${r.paths.join(',')}:${r.profileId ?? '-'}`);
      return { jobIds: r.paths.map((_, i) => `j${i}`), batchIds: [], rejected: [] };
    },
    getJobDetails: async (id: string): Promise<JobDetails> => {
      log.push(`getJobDetails:${id}`);
      return { job: details, attemptLog: [], endpoint: 'http://127.0.0.1:1/files/' };
    },
    exportHistory: async ({ format }: { format: 'csv' | 'json' }) => ({
      content: format === 'csv' ? 'name,size\na.bin,10\n' : '[]',
      suggestedName: `tusk-history.${format}`,
    }),
  } as unknown as EngineApi;
  return { log, engine: { api, grantPaths: (p: string[]) => log.push(`grant:${p.join(',')}`) } };
}

function fakePlatform(over: Partial<DesktopPlatform> = {}) {
  const seen: string[] = [];
  const platform: DesktopPlatform = {
    chooseFiles: async () => ['/data/a.bin', '/data/b.bin'],
    chooseFolders: async () => ['/data/photos'],
    chooseSavePath: async () => undefined,
    revealInFolder: (p) => seen.push(`reveal:${p}`),
    writeClipboard: (t) => seen.push(`clip:${t}`),
    ...over,
  };
  return { platform, seen };
}

describe('desktop handlers', () => {
  it('grants what a person chose in a dialog before enqueueing it', async () => {
    const { engine, log } = fakeEngine();
    const { platform } = fakePlatform();
    const h = createDesktopHandlers({ engine, platform });
    expect((await h.addFilesWithDialog({ profileId: 'p1' })).jobIds).toHaveLength(2);
    await h.addFolderWithDialog({});
    expect(log).toEqual([
      'grant:/data/a.bin,/data/b.bin',
      'addPaths:/data/a.bin,/data/b.bin:p1',
      'grant:/data/photos',
      'addPaths:/data/photos:-',
    ]);
  });
  it('adds nothing when the dialog is cancelled', async () => {
    const { engine, log } = fakeEngine();
    const { platform } = fakePlatform({ chooseFiles: async () => [] });
    const h = createDesktopHandlers({ engine, platform });
    expect(await h.addFilesWithDialog({})).toEqual({ jobIds: [], batchIds: [], rejected: [] });
    expect(log).toEqual([]);
  });
  it('reveals the source file and copies URLs, explaining a missing one', async () => {
    const { engine } = fakeEngine(job({ resultUrl: undefined }));
    const { platform, seen } = fakePlatform();
    const h = createDesktopHandlers({ engine, platform });
    await h.revealFile('j1');
    await h.copyUploadUrl({ jobId: 'j1', which: 'upload' });
    await expect(h.copyUploadUrl({ jobId: 'j1', which: 'result' })).rejects.toThrow(/has no result URL/);
    expect(seen).toEqual(['reveal:/data/a.bin', 'clip:http://127.0.0.1:1/files/abc']);
  });
  it('saves the history export where the person chose, or nowhere when cancelled', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tusk-export-'));
    dirs.push(dir);
    const { engine } = fakeEngine();
    let suggested = '';
    const target = join(dir, 'out.csv');
    const h = createDesktopHandlers({
      engine,
      platform: fakePlatform({
        chooseSavePath: async (name) => {
          suggested = name;
          return target;
        },
      }).platform,
    });
    expect(await h.saveHistoryExport({ format: 'csv' })).toBe(target);
    expect(suggested).toBe('tusk-history.csv');
    expect(await readFile(target, 'utf8')).toBe('name,size\na.bin,10\n');
    const cancelled = createDesktopHandlers({ engine, platform: fakePlatform().platform });
    expect(await cancelled.saveHistoryExport({ format: 'json' })).toBeUndefined();
    const bad = createDesktopHandlers({
      engine,
      platform: fakePlatform({ chooseSavePath: async () => join(dir, 'missing', 'x.json') }).platform,
    });
    await expect(bad.saveHistoryExport({ format: 'json' })).rejects.toThrow(/Could not save the history .* \(ENOENT\)/);
  });
  it('reports renderer readiness', async () => {
    let ready = 0;
    const h = createDesktopHandlers({ ...fakeEngine(), platform: fakePlatform().platform, onRendererReady: () => ready++ });
    await h.rendererReady();
    expect(ready).toBe(1);
  });
});

describe('loginItemPlan', () => {
  it('uses login item settings with --hidden on macOS and Windows', () => {
    for (const platform of ['darwin', 'win32']) {
      expect(loginItemPlan({ enabled: true, platform, executable: 'x', configHome: '/c' })).toEqual({
        kind: 'electron',
        settings: { openAtLogin: true, openAsHidden: true, args: ['--hidden'] },
      });
    }
  });
  it('writes or removes an XDG autostart entry on Linux, quoting the executable', () => {
    const on = loginItemPlan({ enabled: true, platform: 'linux', executable: '/home/me/Apps/Tusk 1.AppImage', configHome: '/home/me/.config' });
    expect(on).toMatchObject({ kind: 'xdg', path: '/home/me/.config/autostart/io.tusk.app.desktop' });
    expect(on.kind === 'xdg' ? on.content : '').toContain('Exec="/home/me/Apps/Tusk 1.AppImage" --hidden\n');
    const off = loginItemPlan({ enabled: false, platform: 'linux', executable: '/x', configHome: '/c' });
    expect(off).toEqual({ kind: 'xdg', path: '/c/autostart/io.tusk.app.desktop', content: undefined });
  });
});
