/**
 * The only file in main that uses `ipcMain`. One handler per call name, all going through the pure dispatcher
 * (ipc-guard.ts): sender check, payload validation, dispatch to the engine or the desktop handlers.
 */
import { ipcMain } from 'electron';
import type { BrowserWindow, IpcMainEvent, IpcMainInvokeEvent } from 'electron';
import { callChannel, callNames, eventChannel } from '../../shared/ipc';
import type { DesktopApi, EngineApi, EventName, TuskEvents } from '../../shared/ipc';
import { DROPPED_PATHS_CHANNEL, ONLINE_CHANNEL } from './channels';
import { EventGate, checkSender, createDispatcher, parseDroppedPaths } from './ipc-guard';
import type { SenderInfo } from './ipc-guard';

/** Options of `registerIpc`. */
export interface IpcOptions {
  engineApi: EngineApi;
  desktop: DesktopApi;
  getMainWindow: () => BrowserWindow | undefined;
  /** Paths from a trusted drop. */
  onDroppedPaths: (paths: string[]) => void;
  /** The renderer's navigator went online/offline. */
  onOnlineChanged: (online: boolean) => void;
  log: (message: string) => void;
}

/** What `registerIpc` returns. */
export interface IpcHandle {
  /** Sends a typed event to the main window (only after `rendererReady`). */
  push<E extends EventName>(event: E, payload: TuskEvents[E]): boolean;
  /** Called when the page reloads or the window closes: events wait for the next `rendererReady`. */
  resetReady(): void;
  dispose(): void;
}

function senderInfo(event: IpcMainInvokeEvent | IpcMainEvent): SenderInfo {
  const frame = event.senderFrame;
  return {
    webContentsId: event.sender.id,
    frameUrl: frame?.url,
    isMainFrame: frame !== null && frame !== undefined && frame === event.sender.mainFrame,
  };
}

/** Registers every call handler and the private channels. */
export function registerIpc(options: IpcOptions): IpcHandle {
  const mainId = (): number | undefined => {
    const win = options.getMainWindow();
    return win && !win.isDestroyed() ? win.webContents.id : undefined;
  };
  const gate = new EventGate<EventName>((event, payload) => {
    const win = options.getMainWindow();
    if (win && !win.isDestroyed()) win.webContents.send(eventChannel(event), payload);
  });
  const desktop: DesktopApi = {
    ...options.desktop,
    rendererReady: async () => {
      await options.desktop.rendererReady();
      gate.open();
    },
  };
  const dispatch = createDispatcher({
    engineApi: options.engineApi,
    desktop,
    mainWebContentsId: mainId,
    onRejected: (name, reason) => options.log(`IPC ${name} failed: ${reason}`),
  });
  for (const name of callNames) {
    ipcMain.handle(callChannel(name), (event, args: unknown) => dispatch(name, senderInfo(event), args));
  }
  const onDropped = (event: IpcMainEvent, payload: unknown) => {
    const refused = checkSender(senderInfo(event), mainId());
    if (refused) return options.log(`Ignored dropped paths: ${refused}`);
    const paths = parseDroppedPaths(payload);
    if (paths.length > 0) options.onDroppedPaths(paths);
  };
  const onOnline = (event: IpcMainEvent, payload: unknown) => {
    if (checkSender(senderInfo(event), mainId()) || typeof payload !== 'boolean') return;
    options.onOnlineChanged(payload);
  };
  ipcMain.on(DROPPED_PATHS_CHANNEL, onDropped);
  ipcMain.on(ONLINE_CHANNEL, onOnline);
  return {
    push: (event, payload) => gate.push(event, payload),
    resetReady: () => gate.close(),
    dispose: () => {
      for (const name of callNames) ipcMain.removeHandler(callChannel(name));
      ipcMain.removeListener(DROPPED_PATHS_CHANNEL, onDropped);
      ipcMain.removeListener(ONLINE_CHANNEL, onOnline);
    },
  };
}
