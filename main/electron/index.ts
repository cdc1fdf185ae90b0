/**
 * The Electron main process: app lifecycle around the engine. Single instance (a second launch hands its paths to
 * the running one), tray, login item, taskbar progress and badge, sleep and network handling, keep-awake,
 * notifications, the application menu and the embedded local tus server. The decisions live in plain modules
 * (shell-logic.ts, argv.ts, login-item.ts, repositories.ts) tested on Node; this file only wires them.
 *
 * Test hooks (honoured only when TUSK_E2E=1): TUSK_E2E_GRANT_ALL=1 lets `addPaths` enqueue any path (the e2e suite
 * adds files through IPC without a person dropping them); login items are never touched under TUSK_E2E.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  BrowserWindow,
  Menu,
  Notification,
  app,
  clipboard,
  dialog,
  net,
  powerMonitor,
  powerSaveBlocker,
  session,
  shell,
} from 'electron';
import { createEngine } from '../engine/index';
import type { Engine, EngineStatus } from '../engine/engine-types';
import type { Settings } from '../../shared/types';
import { pathsFromArgv, startedHidden } from './argv';
import { createDesktopHandlers } from './desktop-handlers';
import type { DesktopPlatform } from './desktop-handlers';
import { registerIpc } from './ipc';
import type { IpcHandle } from './ipc';
import { startLocalServer } from './local-server';
import type { LocalServer } from './local-server';
import { loginItemPlan } from './login-item';
import { appMenuTemplate } from './menu';
import { openDesktopRepositories } from './settings';
import type { DesktopRepositories } from './repositories';
import {
  ConnectivityController,
  PowerSaveController,
  badgeCount,
  closeAction,
  notificationText,
  progressBar,
  shouldNotify,
} from './shell-logic';
import { TrayController } from './tray';
import { createMainWindow, hardenSession, lockDownContents, registerAppScheme, serveRenderer } from './window';

const E2E = process.env.TUSK_E2E === '1';
const GRANT_ALL = E2E && process.env.TUSK_E2E_GRANT_ALL === '1';
// `electron <app>` (development, tests) puts the app path in argv[1]; a packaged app does not.
const SKIP_LEADING = process.defaultApp ? 2 : 1;
const ICON = join(__dirname, 'icon.png');
const TRAY_ICON = join(__dirname, 'tray.png');

const log = (message: string) => console.log(`[tusk] ${message}`);

registerAppScheme();

if (!app.requestSingleInstanceLock()) {
  // The running instance receives our argv through 'second-instance'.
  app.quit();
} else {
  // Files opened with Tusk on macOS arrive before 'ready'; keep them until the engine is up.
  const pendingOpen: string[] = [];
  let openPaths: ((paths: string[]) => void) | undefined;
  app.on('open-file', (event, path) => {
    event.preventDefault();
    if (openPaths) openPaths([path]);
    else pendingOpen.push(path);
  });
  app.on('web-contents-created', (_event, contents) => lockDownContents(contents));
  app
    .whenReady()
    .then(() => start((fn) => (openPaths = fn), pendingOpen))
    .catch((error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      dialog.showErrorBox('Tusk could not start', message);
      app.exit(1);
    });
}

async function start(setOpenPaths: (fn: (paths: string[]) => void) => void, pendingOpen: string[]): Promise<void> {
  const userData = app.getPath('userData');
  let repos: DesktopRepositories;
  try {
    repos = openDesktopRepositories(userData);
  } catch (error) {
    throw new Error(
      `Tusk cannot read its settings in ${userData}: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  for (const note of [...repos.load.migrated.map((m) => `settings migrated: ${m}`), ...repos.load.repaired]) log(note);

  let localServer: LocalServer | undefined;
  if (repos.wantsLocalServer()) {
    try {
      localServer = await startLocalServer({ dataDir: userData, port: repos.localServerPort() });
      repos.ensureLocalServerProfile({ endpoint: localServer.endpoint });
      log(`local test server on ${localServer.endpoint}`);
    } catch (error) {
      log(`local test server did not start: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  const engine: Engine = await createEngine({
    stateDir: join(userData, 'queue'),
    profiles: repos.profiles,
    settings: repos.settings,
    requirePathGrants: !GRANT_ALL,
    autoStart: true,
  });

  hardenSession(session.defaultSession);
  serveRenderer(session.defaultSession, join(__dirname, '..', 'renderer'));

  let settings: Settings = repos.settings.current();
  let win: BrowserWindow | undefined;
  let quitting = false;
  let status: EngineStatus = engine.status();

  const platform: DesktopPlatform = {
    async chooseFiles() {
      const options = { title: 'Add files to upload', properties: ['openFile', 'multiSelections'] as const };
      const r = win ? await dialog.showOpenDialog(win, { ...options, properties: [...options.properties] }) : await dialog.showOpenDialog({ ...options, properties: [...options.properties] });
      return r.canceled ? [] : r.filePaths;
    },
    async chooseFolders() {
      const properties: Array<'openDirectory' | 'multiSelections'> = ['openDirectory', 'multiSelections'];
      const r = win
        ? await dialog.showOpenDialog(win, { title: 'Add folders to upload', properties })
        : await dialog.showOpenDialog({ title: 'Add folders to upload', properties });
      return r.canceled ? [] : r.filePaths;
    },
    async chooseSavePath(suggestedName, format) {
      const filters = [format === 'csv' ? { name: 'CSV', extensions: ['csv'] } : { name: 'JSON', extensions: ['json'] }];
      const defaultPath = join(app.getPath('documents'), suggestedName);
      const r = win
        ? await dialog.showSaveDialog(win, { defaultPath, filters })
        : await dialog.showSaveDialog({ defaultPath, filters });
      return r.canceled ? undefined : r.filePath;
    },
    revealInFolder: (path) => shell.showItemInFolder(path),
    writeClipboard: (text) => clipboard.writeText(text),
  };
  const desktop = createDesktopHandlers({ engine, platform });

  const showWindow = () => {
    if (!win || win.isDestroyed()) win = openWindow(true);
    if (win.isMinimized()) win.restore();
    win.show();
    win.focus();
  };

  const ipc: IpcHandle = registerIpc({
    engineApi: engine.api,
    desktop,
    getMainWindow: () => win,
    onDroppedPaths: (paths) => engine.grantPaths(paths),
    onOnlineChanged: (online) => void connectivity.networkChanged(online),
    log,
  });
  const toast = (level: 'info' | 'warning' | 'error', message: string) => ipc.push('toast', { level, message });
  const connectivity = new ConnectivityController(engine, toast, log);
  const powerSave = new PowerSaveController({
    start: () => powerSaveBlocker.start('prevent-app-suspension'),
    stop: (id) => powerSaveBlocker.stop(id),
  });

  function openWindow(show: boolean): BrowserWindow {
    const w = createMainWindow({ preloadPath: join(__dirname, 'preload.cjs'), iconPath: ICON, show });
    // A reload or a crash restarts the renderer: it must pull a snapshot and say ready again.
    w.webContents.on('did-start-loading', () => ipc.resetReady());
    w.webContents.on('render-process-gone', (_e, details) => {
      log(`renderer gone (${details.reason}); reloading`);
      ipc.resetReady();
      if (details.reason !== 'clean-exit' && !w.isDestroyed()) w.reload();
    });
    w.on('close', (event) => {
      if (closeAction({ closeToTray: settings.closeToTray, active: status.active, quitting }) === 'hide') {
        event.preventDefault();
        w.hide();
      }
    });
    w.on('closed', () => {
      ipc.resetReady();
      if (win === w) win = undefined;
    });
    w.on('show', () => updateShell());
    w.on('hide', () => updateShell());
    return w;
  }

  const addPaths = async (paths: string[], source: string) => {
    if (paths.length === 0) return;
    engine.grantPaths(paths);
    try {
      const result = await engine.api.addPaths({ paths });
      const added = result.jobIds.length;
      if (added > 0) toast('info', `${added} file${added === 1 ? '' : 's'} added from ${source}.`);
      for (const r of result.rejected) toast('warning', `${r.path}: ${r.reason}`);
    } catch (error) {
      toast('error', error instanceof Error ? error.message : String(error));
    }
  };
  setOpenPaths((paths) => void addPaths(paths, 'Finder'));

  const tray = new TrayController(TRAY_ICON, {
    show: showWindow,
    pauseAll: () => void engine.api.pause({ kind: 'all' }),
    resumeAll: () => void engine.api.resume({ kind: 'all' }),
    quit: () => app.quit(),
  });

  function updateShell(): void {
    const visible = Boolean(win && !win.isDestroyed() && win.isVisible());
    tray.update(status, visible);
    const bar = progressBar(status);
    if (win && !win.isDestroyed()) win.setProgressBar(bar.value, { mode: bar.mode });
    app.setBadgeCount(badgeCount(status));
    powerSave.update(status, settings);
  }

  async function applyLoginItem(enabled: boolean): Promise<void> {
    if (E2E) return;
    const plan = loginItemPlan({
      enabled,
      platform: process.platform,
      executable: process.env.APPIMAGE ?? process.execPath,
      configHome: process.env.XDG_CONFIG_HOME ?? join(app.getPath('home'), '.config'),
    });
    if (plan.kind === 'electron') {
      app.setLoginItemSettings(plan.settings);
      return;
    }
    if (!app.isPackaged) return; // a dev build has no stable executable to start at login
    if (plan.content === undefined) await rm(plan.path, { force: true });
    else {
      await mkdir(dirname(plan.path), { recursive: true });
      await writeFile(plan.path, plan.content, 'utf8');
    }
  }

  engine.onDelta((delta) => ipc.push('queue:delta', delta));
  engine.onStatus((s) => {
    status = s;
    updateShell();
  });
  engine.onNotification((n) => {
    const focused = Boolean(win && !win.isDestroyed() && win.isFocused());
    if (!Notification.isSupported() || !shouldNotify(n, settings, focused)) return;
    const text = notificationText(n);
    const note = new Notification({ title: text.title, body: text.body, urgency: text.urgency });
    note.on('click', showWindow);
    note.show();
  });
  repos.settings.onChange((next) => {
    const loginChanged = next.startAtLogin !== settings.startAtLogin;
    settings = next;
    ipc.push('settings:changed', next);
    if (loginChanged) applyLoginItem(next.startAtLogin).catch((e: unknown) => toast('error', `Login item: ${String(e)}`));
    updateShell();
  });

  powerMonitor.on('suspend', () => void connectivity.systemSuspended());
  powerMonitor.on('resume', () => void connectivity.systemResumed());
  // net.isOnline() is cheap; polling also catches changes the page does not report (no window open).
  const onlinePoll = setInterval(() => void connectivity.networkChanged(net.isOnline()), 5_000);

  Menu.setApplicationMenu(
    Menu.buildFromTemplate(
      appMenuTemplate(
        {
          addFiles: () => void desktop.addFilesWithDialog({}).then((r) => r.jobIds.length && showWindow()),
          addFolder: () => void desktop.addFolderWithDialog({}).then((r) => r.jobIds.length && showWindow()),
          pauseAll: () => void engine.api.pause({ kind: 'all' }),
          resumeAll: () => void engine.api.resume({ kind: 'all' }),
          openSettings: () => {
            showWindow();
            ipc.push('menu:open-view', { view: 'settings' });
          },
          showWindow,
          quit: () => app.quit(),
        },
        process.platform,
        !app.isPackaged,
      ),
    ),
  );

  app.on('second-instance', (_event, argv, cwd) => {
    showWindow();
    void addPaths(pathsFromArgv(argv, cwd, { skipLeading: SKIP_LEADING }), 'another launch');
  });
  app.on('activate', showWindow);
  app.on('before-quit', () => {
    quitting = true;
  });
  app.on('window-all-closed', () => {
    // macOS keeps apps alive without windows; elsewhere closing the last window quits (uploads resume next start).
    if (process.platform !== 'darwin') app.quit();
  });
  let cleanedUp = false;
  app.on('will-quit', (event) => {
    if (cleanedUp) return;
    event.preventDefault();
    clearInterval(onlinePoll);
    powerSave.dispose();
    const cleanup = Promise.allSettled([engine.close(), localServer?.close()]);
    const timeout = new Promise((resolve) => setTimeout(resolve, 5_000));
    void Promise.race([cleanup, timeout]).finally(() => {
      cleanedUp = true;
      tray.destroy();
      app.quit();
    });
  });

  const hidden = startedHidden(process.argv) || settings.startHidden;
  win = openWindow(!hidden);
  updateShell();
  if (settings.startAtLogin) applyLoginItem(true).catch((e: unknown) => log(`login item: ${String(e)}`));
  await addPaths([...pendingOpen, ...pathsFromArgv(process.argv, process.cwd(), { skipLeading: SKIP_LEADING })], 'the command line');
}
