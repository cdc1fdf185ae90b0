/**
 * The main window and the session it runs in: the renderer is served from the custom `app://tusk/` scheme (a real
 * origin for 'self' in the CSP, no file:// access), nothing else loads, nothing navigates, nothing opens.
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute, join, relative } from 'node:path';
import { BrowserWindow, protocol, shell } from 'electron';
import type { Session, WebContents } from 'electron';
import {
  APP_ENTRY_URL,
  APP_SCHEME,
  SECURE_WEB_PREFERENCES,
  SECURITY_HEADERS,
  isExternalLinkAllowed,
  isNavigationAllowed,
  mimeTypeFor,
  resolveAppRequest,
} from './security';

/** Registers `app://` as a standard, secure scheme. Must run before `app.whenReady()`. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true } },
  ]);
}

/** Serves the built renderer directory on `app://tusk/` with the security headers. */
export function serveRenderer(session: Session, rendererDir: string): void {
  session.protocol.handle(APP_SCHEME, async (request) => {
    const rel = resolveAppRequest(request.url);
    if (!rel) return new Response('Not found', { status: 404 });
    const full = join(rendererDir, rel);
    const inside = relative(rendererDir, full);
    if (inside.startsWith('..') || isAbsolute(inside)) return new Response('Not found', { status: 404 });
    try {
      const body = await readFile(full);
      return new Response(new Uint8Array(body), {
        status: 200,
        headers: { 'Content-Type': mimeTypeFor(rel), ...SECURITY_HEADERS },
      });
    } catch {
      return new Response('Not found', { status: 404, headers: SECURITY_HEADERS });
    }
  });
}

/** Denies permissions, downloads and every network request the page might make (the engine runs in main). */
export function hardenSession(session: Session): void {
  session.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.setDevicePermissionHandler(() => false);
  session.on('will-download', (event) => event.preventDefault());
  session.webRequest.onBeforeRequest(
    { urls: ['http://*/*', 'https://*/*', 'ws://*/*', 'wss://*/*', 'file:///*'] },
    (_details, callback) => callback({ cancel: true }),
  );
}

/** Applies navigation and window-opening rules to any webContents (also used for every one created). */
export function lockDownContents(contents: WebContents): void {
  contents.on('will-navigate', (event, url) => {
    if (!isNavigationAllowed(contents.getURL(), url)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isNavigationAllowed(contents.getURL(), url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    // Help links (https only) go to the system browser; the app never opens windows of its own.
    if (isExternalLinkAllowed(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
}

/** Options of `createMainWindow`. */
export interface MainWindowOptions {
  preloadPath: string;
  iconPath?: string;
  show: boolean;
}

/** Creates the main window and loads the app page. */
export function createMainWindow(options: MainWindowOptions): BrowserWindow {
  const win = new BrowserWindow({
    width: 1200,
    height: 800,
    minWidth: 720,
    minHeight: 480,
    show: false,
    title: 'Tusk',
    ...(options.iconPath ? { icon: options.iconPath } : {}),
    webPreferences: { ...SECURE_WEB_PREFERENCES, preload: options.preloadPath },
  });
  lockDownContents(win.webContents);
  if (options.show) win.once('ready-to-show', () => win.show());
  void win.loadURL(APP_ENTRY_URL);
  return win;
}
