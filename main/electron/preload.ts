/**
 * The sandboxed preload: builds `window.tusk` (TuskBridge) from the one contract. Bundled to CJS by
 * scripts/build.mjs; a sandboxed preload may only require `electron`, so everything else is bundled in.
 */
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import { callChannel, callNames, eventChannel } from '../../shared/ipc';
import type { CallName, EventName, TuskApi, TuskBridge, TuskEvents } from '../../shared/ipc';
import { DROPPED_PATHS_CHANNEL, ONLINE_CHANNEL } from './channels';
import type { CallResult } from './ipc-guard';

/** One generic invoker: main answers with a `CallResult`; failures become an Error carrying main's message. */
function invoker(name: CallName) {
  return async (...args: unknown[]): Promise<unknown> => {
    const result = (await ipcRenderer.invoke(callChannel(name), args)) as CallResult;
    if (!result.ok) throw new Error(result.error.message);
    return result.value;
  };
}

const api = Object.fromEntries(callNames.map((name) => [name, invoker(name)])) as unknown as TuskApi;

const bridge: TuskBridge = {
  api,
  on<E extends EventName>(event: E, listener: (payload: TuskEvents[E]) => void): () => void {
    // Never hand the IpcRendererEvent to the page: it carries `sender` (ipcRenderer itself).
    const wrapped = (_event: Electron.IpcRendererEvent, payload: TuskEvents[E]) => listener(payload);
    const channel = eventChannel(event);
    ipcRenderer.on(channel, wrapped);
    return () => {
      ipcRenderer.removeListener(channel, wrapped);
    };
  },
  getPathForFile(file: File): string {
    try {
      return webUtils.getPathForFile(file);
    } catch {
      return '';
    }
  },
  platform: process.platform,
};

contextBridge.exposeInMainWorld('tusk', bridge);

// Only a drop a person made (isTrusted) grants paths: the page cannot forge one. The capture phase runs before the
// renderer's own handler, and IPC messages keep their order, so main grants before the renderer's addPaths arrives.
window.addEventListener(
  'drop',
  (event: DragEvent) => {
    if (!event.isTrusted || !event.dataTransfer) return;
    const paths: string[] = [];
    for (const file of Array.from(event.dataTransfer.files)) {
      const p = webUtils.getPathForFile(file);
      if (p) paths.push(p);
    }
    if (paths.length > 0) ipcRenderer.send(DROPPED_PATHS_CHANNEL, paths);
  },
  true,
);

window.addEventListener('online', () => ipcRenderer.send(ONLINE_CHANNEL, true));
window.addEventListener('offline', () => ipcRenderer.send(ONLINE_CHANNEL, false));
