import { describe, expect, it } from 'vitest';
import type { Engine, EngineNotification, EngineStatus } from '../../main/engine/engine-types';
import type { BatchView, QueueTotals } from '../../shared/types';
import {
  ConnectivityController,
  PowerSaveController,
  badgeCount,
  closeAction,
  formatBytes,
  notificationText,
  progressBar,
  shouldBlockPowerSave,
  shouldNotify,
  trayMenuModel,
  trayTooltip,
} from '../../main/electron/shell-logic';
import { pathsFromArgv, startedHidden } from '../../main/electron/argv';
import { appMenuTemplate } from '../../main/electron/menu';
import type { MenuItemConstructorOptions } from 'electron';

const GiB = 1024 ** 3;
function status(over: Partial<QueueTotals> = {}, active = 0, paused = false): EngineStatus {
  return {
    totals: { filesTotal: 0, filesDone: 0, filesFailed: 0, filesActive: active, bytesTotal: 0, bytesDone: 0, speed: 0, ...over },
    active,
    paused,
  };
}
const uploading = status({ filesTotal: 4, filesDone: 1, bytesTotal: 4 * GiB, bytesDone: GiB, speed: 50 * 1024 * 1024 }, 3);

/** A fake engine that records suspend/wake calls (the only part these controllers touch). */
function fakeEngine() {
  const calls: string[] = [];
  const engine: Pick<Engine, 'suspend' | 'wake'> = {
    suspend: async (reason) => {
      calls.push(`suspend:${reason}`);
    },
    wake: async () => {
      calls.push('wake');
    },
  };
  return { engine, calls };
}

describe('tray, taskbar and badge', () => {
  it('describes an idle, an uploading, a paused and a failing queue', () => {
    expect(trayTooltip(status())).toBe('Tusk: idle');
    expect(trayTooltip(uploading)).toBe('Tusk: 3 uploading, 25% (1.0 GiB of 4.0 GiB), 50 MiB/s');
    expect(trayTooltip({ ...uploading, paused: true, active: 0 })).toBe('Tusk: paused, 25% of 4.0 GiB');
    expect(trayTooltip(status({ filesTotal: 2, filesDone: 1, filesFailed: 1 }))).toBe('Tusk: idle, 1 failed');
  });
  it('shows progress only while there is something to do', () => {
    expect(progressBar(status())).toEqual({ value: -1, mode: 'none' });
    expect(progressBar(uploading)).toEqual({ value: 0.25, mode: 'normal' });
    expect(progressBar({ ...uploading, paused: true })).toEqual({ value: 0.25, mode: 'paused' });
    expect(progressBar(status({ filesTotal: 3, filesDone: 1, filesFailed: 1, bytesTotal: 10, bytesDone: 5 }, 1))).toEqual({
      value: 0.5,
      mode: 'error',
    });
    expect(progressBar(status({ filesTotal: 2, filesDone: 2, bytesTotal: 10, bytesDone: 10 }))).toEqual({ value: -1, mode: 'none' });
  });
  it('badges the number of active uploads', () => {
    expect(badgeCount(uploading)).toBe(3);
    expect(badgeCount(status())).toBe(0);
    expect(badgeCount({ ...uploading, paused: true })).toBe(0);
  });
  it('builds the tray menu from the status', () => {
    const busy = trayMenuModel(uploading, false);
    expect(busy.filter((e) => e.id !== 'separator').map((e) => [e.id, e.enabled])).toEqual([
      ['show', true],
      ['pause-all', true],
      ['resume-all', false],
      ['quit', true],
    ]);
    expect(busy.at(-1)?.label).toMatch(/resume next time/);
    const paused = trayMenuModel({ ...uploading, paused: true }, true);
    expect(paused.find((e) => e.id === 'resume-all')?.enabled).toBe(true);
    expect(paused.find((e) => e.id === 'pause-all')?.enabled).toBe(false);
  });
  it('formats bytes', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(300 * 1024 * 1024)).toBe('300 MiB');
    expect(formatBytes(-1)).toBe('?');
  });
});

describe('power save', () => {
  it('blocks sleep only while uploading with keepAwake on', () => {
    expect(shouldBlockPowerSave(uploading, { keepAwake: true })).toBe(true);
    expect(shouldBlockPowerSave(uploading, { keepAwake: false })).toBe(false);
    expect(shouldBlockPowerSave({ ...uploading, paused: true }, { keepAwake: true })).toBe(false);
    expect(shouldBlockPowerSave(status(), { keepAwake: true })).toBe(false);
  });
  it('starts one blocker and stops it when uploads end', () => {
    const log: string[] = [];
    let next = 10;
    const ctl = new PowerSaveController({
      start: () => {
        log.push(`start:${next}`);
        return next++;
      },
      stop: (id) => log.push(`stop:${id}`),
    });
    expect(ctl.update(uploading, { keepAwake: true })).toBe(true);
    ctl.update(uploading, { keepAwake: true });
    expect(ctl.update(status(), { keepAwake: true })).toBe(false);
    ctl.update(uploading, { keepAwake: true });
    ctl.update(uploading, { keepAwake: false });
    ctl.update(uploading, { keepAwake: true });
    ctl.dispose();
    expect(log).toEqual(['start:10', 'stop:10', 'start:11', 'stop:11', 'start:12', 'stop:12']);
  });
});

describe('ConnectivityController', () => {
  it('suspends on sleep and wakes on resume, once each', async () => {
    const { engine, calls } = fakeEngine();
    const toasts: string[] = [];
    const ctl = new ConnectivityController(engine, (level, m) => toasts.push(`${level}:${m}`));
    await ctl.systemSuspended();
    await ctl.systemSuspended();
    await ctl.systemResumed();
    await ctl.systemResumed();
    expect(calls).toEqual(['suspend:system suspend', 'wake']);
    expect(toasts).toEqual(['info:The computer woke up; resuming uploads.']);
  });
  it('stays suspended after waking from sleep while the network is still gone', async () => {
    const { engine, calls } = fakeEngine();
    const toasts: string[] = [];
    const ctl = new ConnectivityController(engine, (level, m) => toasts.push(`${level}:${m}`));
    await ctl.systemSuspended();
    await ctl.networkChanged(false);
    await ctl.systemResumed();
    expect(calls).toEqual(['suspend:system suspend']);
    expect(ctl.suspendedFor).toEqual(['network']);
    await ctl.networkChanged(true);
    expect(calls).toEqual(['suspend:system suspend', 'wake']);
    expect(toasts).toEqual(['warning:Network lost; uploads will resume when it is back.', 'info:Network is back; resuming uploads.']);
  });
  it('ignores repeated online events and keeps calls in order even when the engine is slow', async () => {
    const calls: string[] = [];
    const slow: Pick<Engine, 'suspend' | 'wake'> = {
      suspend: (r) => new Promise((res) => setTimeout(() => res(void calls.push(`suspend:${r}`)), 30)),
      wake: async () => {
        calls.push('wake');
      },
    };
    const ctl = new ConnectivityController(slow);
    void ctl.networkChanged(true);
    void ctl.networkChanged(false);
    void ctl.networkChanged(false);
    void ctl.networkChanged(true);
    await ctl.settled();
    expect(calls).toEqual(['suspend:network lost', 'wake']);
  });
  it('logs engine failures instead of throwing', async () => {
    const logs: string[] = [];
    const ctl = new ConnectivityController(
      { suspend: async () => Promise.reject(new Error('disk full')), wake: async () => undefined },
      undefined,
      (m) => logs.push(m),
    );
    await ctl.systemSuspended();
    expect(logs).toEqual(['Engine suspend (system suspend) failed: disk full']);
  });
});

describe('notifications', () => {
  const batch = (over: Partial<BatchView> = {}): BatchView => ({
    id: 'b1',
    profileId: 'p',
    name: 'photos',
    rootPath: '/home/a/photos',
    jobCount: 120,
    completedCount: 120,
    failedCount: 0,
    activeCount: 0,
    size: 3 * GiB,
    offset: 3 * GiB,
    speed: 0,
    status: 'completed',
    problems: [],
    createdAt: 0,
    ...over,
  });
  it('says one thing per batch or group', () => {
    expect(notificationText({ kind: 'batch-finished', batch: batch() })).toEqual({
      title: '"photos" uploaded',
      body: '120 files, 3.0 GiB.',
      urgency: 'normal',
    });
    expect(notificationText({ kind: 'batch-finished', batch: batch({ completedCount: 118, failedCount: 2 }) })).toMatchObject({
      title: '"photos" finished with 2 failures',
      urgency: 'critical',
    });
    expect(notificationText({ kind: 'jobs-finished', count: 1, bytes: 2048 }).title).toBe('1 upload finished');
    expect(notificationText({ kind: 'failures', count: 3, firstReason: 'The server refused the upload (413).' })).toEqual({
      title: '3 uploads failed',
      body: 'The server refused the upload (413). Open Tusk to retry.',
      urgency: 'critical',
    });
  });
  it('respects the setting and does not announce successes to a person looking at the window', () => {
    const ok: EngineNotification = { kind: 'jobs-finished', count: 2, bytes: 10 };
    const bad: EngineNotification = { kind: 'failures', count: 1, firstReason: 'x' };
    expect(shouldNotify(ok, { notifications: true }, false)).toBe(true);
    expect(shouldNotify(ok, { notifications: true }, true)).toBe(false);
    expect(shouldNotify(bad, { notifications: true }, true)).toBe(true);
    expect(shouldNotify(bad, { notifications: false }, false)).toBe(false);
  });
});

describe('closeAction', () => {
  it('hides to the tray only while uploads run and the setting is on', () => {
    expect(closeAction({ closeToTray: true, active: 2, quitting: false })).toBe('hide');
    expect(closeAction({ closeToTray: true, active: 0, quitting: false })).toBe('close');
    expect(closeAction({ closeToTray: false, active: 2, quitting: false })).toBe('close');
    expect(closeAction({ closeToTray: true, active: 2, quitting: true })).toBe('close');
  });
});

describe('pathsFromArgv', () => {
  it('takes paths from a packaged app argv and skips flags', () => {
    expect(pathsFromArgv(['/opt/Tusk/tusk', '--hidden', 'a.txt', '/data/b', '-psn_0_123'], '/home/me')).toEqual([
      '/home/me/a.txt',
      '/data/b',
    ]);
  });
  it('skips the app path in development and Chromium switches of a second instance', () => {
    const argv = ['/x/electron', 'dist/main/index.cjs', '--allow-file-access-from-files', '--original-process-start-time=1', 'f.bin'];
    expect(pathsFromArgv(argv, '/w', { skipLeading: 2 })).toEqual(['/w/f.bin']);
  });
  it('converts file URLs, ignores other URLs, honours -- and removes duplicates', () => {
    expect(
      pathsFromArgv(['tusk', 'file:///tmp/a%20b.txt', 'https://x.example/', '/tmp/a b.txt', '--', '-odd-name'], '/w'),
    ).toEqual(['/tmp/a b.txt', '/w/-odd-name']);
  });
  it('detects the login item flag', () => {
    expect(startedHidden(['tusk', '--hidden'])).toBe(true);
    expect(startedHidden(['tusk'])).toBe(false);
  });
});

describe('application menu', () => {
  function flatten(items: MenuItemConstructorOptions[]): MenuItemConstructorOptions[] {
    return items.flatMap((i) => [i, ...(Array.isArray(i.submenu) ? flatten(i.submenu) : [])]);
  }
  it('has the shortcuts on every platform and each runs its action', () => {
    for (const platform of ['darwin', 'win32', 'linux']) {
      const ran: string[] = [];
      const act = (n: string) => () => ran.push(n);
      const items = flatten(
        appMenuTemplate(
          {
            addFiles: act('addFiles'),
            addFolder: act('addFolder'),
            pauseAll: act('pauseAll'),
            resumeAll: act('resumeAll'),
            openSettings: act('openSettings'),
            showWindow: act('showWindow'),
            quit: act('quit'),
          },
          platform,
        ),
      );
      const byId = (id: string) => items.find((i) => i.id === id);
      expect(byId('add-files')?.accelerator).toBe('CmdOrCtrl+O');
      expect(byId('add-folder')?.accelerator).toBe('CmdOrCtrl+Shift+O');
      expect(byId('settings')?.accelerator).toBe('CmdOrCtrl+,');
      expect(byId('pause-all')).toBeDefined();
      expect(byId('resume-all')).toBeDefined();
      for (const id of ['add-files', 'add-folder', 'pause-all', 'resume-all', 'settings', 'quit']) {
        const click = byId(id)?.click as unknown as () => void;
        click();
      }
      expect(ran).toEqual(['addFiles', 'addFolder', 'pauseAll', 'resumeAll', 'openSettings', 'quit']);
      const accels = items.map((i) => i.accelerator).filter(Boolean);
      expect(new Set(accels).size).toBe(accels.length);
    }
  });
});
