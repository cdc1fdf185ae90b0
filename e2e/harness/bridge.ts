/**
 * Binds `window.tusk` in a Playwright page to an engine (`EngineLink`): one binding `__tuskCall(name, args)` for every
 * call, `__tuskEmit(event, payload)` evaluated in the page for pushed events, and an init script that builds the
 * `TuskBridge` from them before the app's scripts run. `DesktopApi` calls get stand-ins configured by the test.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { callNames, engineCallNames, validateCall, type CallName, type EventName, type TuskEvents } from '../../shared/ipc';
import type { AddResult, QueueDelta, Settings } from '../../shared/types';
import type { EngineLink } from './engine-process';

/** What the desktop-only calls do in the harness, and what they were asked. */
export interface DesktopStandIns {
  /** Paths the "Add files" dialog returns (empty = the person cancelled). */
  dialogFiles: string[];
  /** The folder the "Add folder" dialog returns. */
  dialogFolder?: string;
  /** Where `saveHistoryExport` writes. */
  exportDir: string;
  revealed: string[];
  copied: { jobId: string; which: 'upload' | 'result' }[];
  exported: { format: 'csv' | 'json'; path: string; content: string }[];
  /** Every call the page made, in order (names only). */
  calls: string[];
}

/** Fresh stand-ins. */
export function desktopStandIns(exportDir: string): DesktopStandIns {
  return { dialogFiles: [], exportDir, revealed: [], copied: [], exported: [], calls: [] };
}

const engineNames = new Set<string>(engineCallNames);
const emptyAdd: AddResult = { jobIds: [], batchIds: [], rejected: [] };

/** Runs in the page before any of its scripts: builds `window.tusk`. Must be self-contained (it is serialized). */
function pageInit(names: string[]): void {
  type Listener = (payload: unknown) => void;
  interface HarnessWindow {
    __tuskCall(name: string, args: unknown[]): Promise<unknown>;
    __tuskEmit(event: string, payload: unknown): void;
    __tuskRegisterPath(file: File, path: string): void;
    tusk: unknown;
  }
  const w = window as unknown as HarnessWindow;
  const listeners = new Map<string, Set<Listener>>();
  const paths = new WeakMap<File, string>();
  const api: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
  for (const name of names) api[name] = (...args: unknown[]) => w.__tuskCall(name, args);
  w.tusk = {
    api,
    on(event: string, listener: Listener) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener);
      return () => set.delete(listener);
    },
    getPathForFile: (file: File) => paths.get(file) ?? '',
    platform: 'browser-harness',
  };
  w.__tuskEmit = (event, payload) => {
    for (const l of listeners.get(event) ?? []) l(payload);
  };
  w.__tuskRegisterPath = (file, path) => paths.set(file, path);
}

/** The binding between one page and one engine at a time (the engine can be swapped, e.g. after a crash). */
export interface PageBridge {
  /** Points the page at another engine (the next `rendererReady` starts its events). */
  attach(link: EngineLink): void;
  /** Pushes an event to the page now. */
  emit<E extends EventName>(event: E, payload: TuskEvents[E]): Promise<void>;
  /** Resolves at the page's next `rendererReady` call (take it before navigating). */
  ready(): Promise<void>;
  desktop: DesktopStandIns;
}

/**
 * Installs the bridge on `page` (call before `page.goto`). Deltas produced before the page says it is ready are kept
 * and flushed at `rendererReady`; the page drops the ones its snapshot already includes (by `seq`).
 */
export async function installBridge(page: Page, first: EngineLink, desktop: DesktopStandIns): Promise<PageBridge> {
  let link = first;
  let offDelta: (() => void) | undefined;
  let isReady = false;
  let buffered: QueueDelta[] = [];
  let readyWaiters: (() => void)[] = [];
  let chain: Promise<void> = Promise.resolve();

  const push = (event: EventName, payload: unknown): Promise<void> => {
    // Serialize evaluations so the page sees events in the order the engine sent them.
    chain = chain
      .then(() => page.evaluate(([e, p]) => (window as unknown as { __tuskEmit(e: string, p: unknown): void }).__tuskEmit(e, p), [event, payload] as const))
      .catch(() => undefined); // the page navigated or closed: it will pull a fresh snapshot
    return chain;
  };

  const listen = (): void => {
    offDelta?.();
    offDelta = link.onDelta((delta) => {
      if (isReady) void push('queue:delta', delta);
      else {
        buffered.push(delta);
        if (buffered.length > 2000) buffered = buffered.slice(-1000);
      }
    });
  };
  listen();

  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) {
      isReady = false;
      buffered = [];
    }
  });

  const desktopCall = async (name: CallName, args: unknown[]): Promise<unknown> => {
    switch (name) {
      case 'addFilesWithDialog': {
        const [req] = validateCall('addFilesWithDialog', args);
        if (desktop.dialogFiles.length === 0) return emptyAdd;
        return link.call('addPaths', [{ paths: desktop.dialogFiles, ...(req.profileId ? { profileId: req.profileId } : {}) }]);
      }
      case 'addFolderWithDialog': {
        const [req] = validateCall('addFolderWithDialog', args);
        if (!desktop.dialogFolder) return emptyAdd;
        return link.call('addPaths', [{ paths: [desktop.dialogFolder], ...(req.profileId ? { profileId: req.profileId } : {}) }]);
      }
      case 'revealFile': {
        const [jobId] = validateCall('revealFile', args);
        desktop.revealed.push(jobId);
        return undefined;
      }
      case 'copyUploadUrl': {
        const [req] = validateCall('copyUploadUrl', args);
        desktop.copied.push(req);
        return undefined;
      }
      case 'saveHistoryExport': {
        const [req] = validateCall('saveHistoryExport', args);
        const out = (await link.call('exportHistory', [req])) as { content: string; suggestedName: string };
        await mkdir(desktop.exportDir, { recursive: true });
        const path = join(desktop.exportDir, out.suggestedName);
        await writeFile(path, out.content);
        desktop.exported.push({ format: req.format, path, content: out.content });
        return path;
      }
      case 'rendererReady': {
        isReady = true;
        const pending = buffered;
        buffered = [];
        for (const d of pending) void push('queue:delta', d);
        const waiters = readyWaiters;
        readyWaiters = [];
        waiters.forEach((w) => w());
        return undefined;
      }
      default:
        throw new Error(`The harness has no stand-in for "${name}".`);
    }
  };

  await page.exposeBinding('__tuskCall', async (_source, name: string, args: unknown[]) => {
    desktop.calls.push(name);
    if (!(callNames as string[]).includes(name)) throw new Error(`Unknown call "${name}".`);
    if (engineNames.has(name)) {
      const value = await link.call(name, args);
      if (name === 'updateSettings') void push('settings:changed', value as Settings);
      return value;
    }
    return desktopCall(name as CallName, args);
  });
  await page.addInitScript(pageInit, callNames as string[]);

  return {
    attach(next) {
      link = next;
      isReady = false;
      buffered = [];
      listen();
    },
    emit: (event, payload) => push(event, payload),
    ready: () => new Promise<void>((resolve) => readyWaiters.push(resolve)),
    desktop,
  };
}

/**
 * Drops files or folders on the page the way a person does: a real `drop` event (after dragenter/dragover) whose
 * DataTransfer carries `File` objects; the bridge's `getPathForFile` resolves each to its path on disk.
 */
export async function dropPaths(page: Page, paths: string[], { holdMs = 0 }: { holdMs?: number } = {}): Promise<void> {
  await page.evaluate(
    async ({ paths, holdMs }) => {
      const w = window as unknown as { __tuskRegisterPath(file: File, path: string): void };
      const dt = new DataTransfer();
      for (const p of paths) {
        const name = p.split(/[\\/]/).filter(Boolean).pop() ?? p;
        const file = new File([], name);
        w.__tuskRegisterPath(file, p);
        dt.items.add(file);
      }
      const target = document.querySelector('.view') ?? document.body;
      const fire = (type: string): void => {
        target.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: dt }));
      };
      fire('dragenter');
      fire('dragover');
      if (holdMs > 0) await new Promise((r) => setTimeout(r, holdMs));
      fire('drop');
    },
    { paths, holdMs },
  );
}
