/**
 * The pure part of the IPC layer: who may call, how a call is validated and dispatched, and how errors travel.
 * `ipc.ts` wires this to `ipcMain`; tests drive it directly (tests/electron/ipc-guard.test.ts). No Electron import.
 */
import { callNames, engineCallNames, validateCall } from '../../shared/ipc';
import type { CallName, DesktopApi, EngineApi, TuskApi } from '../../shared/ipc';
import { isAppUrl } from './security';

/** What main knows about the sender of an IPC message. */
export interface SenderInfo {
  /** `event.sender.id` (webContents id). */
  webContentsId: number;
  /** `event.senderFrame?.url`; undefined when the frame is gone. */
  frameUrl: string | undefined;
  /** Whether the sending frame is the top frame of its page (`senderFrame === sender.mainFrame`). */
  isMainFrame: boolean;
}

/** The answer of every call: errors come back as plain `{ message }` data the renderer can show. */
export type CallResult = { ok: true; value: unknown } | { ok: false; error: { message: string } };

/** Why a sender was refused, or undefined when it is trusted. */
export function checkSender(sender: SenderInfo, mainWebContentsId: number | undefined): string | undefined {
  if (mainWebContentsId === undefined) return 'the main window is not open';
  if (sender.webContentsId !== mainWebContentsId) return 'the message did not come from the main window';
  if (!sender.isMainFrame) return 'the message came from a sub-frame';
  if (sender.frameUrl === undefined || !isAppUrl(sender.frameUrl)) {
    return `the sending page (${sender.frameUrl ?? 'unknown'}) is not the app's own page`;
  }
  return undefined;
}

/** Turns anything thrown into the plain error object sent to the renderer. */
export function toPlainError(error: unknown): { message: string } {
  if (error instanceof Error && error.message) return { message: error.message };
  if (typeof error === 'string' && error) return { message: error };
  if (error && typeof error === 'object' && 'message' in error && typeof error.message === 'string' && error.message) {
    return { message: error.message };
  }
  return { message: 'Something went wrong in Tusk (no details were given).' };
}

const engineNames: ReadonlySet<string> = new Set(engineCallNames);
const allNames: ReadonlySet<string> = new Set(callNames);

/** Whether a call is answered by the engine (else by the desktop handlers). */
export function isEngineCall(name: CallName): name is keyof EngineApi {
  return engineNames.has(name);
}

/** Options of `createDispatcher`. */
export interface DispatcherOptions {
  engineApi: EngineApi;
  desktop: DesktopApi;
  /** The current main window's webContents id (undefined while no window exists). */
  mainWebContentsId: () => number | undefined;
  /** Told about refused senders and failed calls (logging). */
  onRejected?: (name: string, reason: string) => void;
}

/** Runs one call for one sender. Never throws: the result carries the error. */
export type Dispatcher = (name: string, sender: SenderInfo, args: unknown) => Promise<CallResult>;

/** Builds the function that checks, validates and dispatches every call. */
export function createDispatcher(options: DispatcherOptions): Dispatcher {
  return async (name, sender, args) => {
    if (!allNames.has(name)) {
      options.onRejected?.(name, 'unknown call');
      return { ok: false, error: { message: `Unknown call "${name}".` } };
    }
    const refused = checkSender(sender, options.mainWebContentsId());
    if (refused) {
      options.onRejected?.(name, refused);
      return { ok: false, error: { message: `Refused ${name}: ${refused}.` } };
    }
    const callName = name as CallName;
    try {
      const valid = validateCall(callName, args);
      const target: TuskApi[CallName] = isEngineCall(callName)
        ? options.engineApi[callName]
        : options.desktop[callName as keyof DesktopApi];
      const fn = target as (...a: unknown[]) => Promise<unknown>;
      const value = await fn.apply(isEngineCall(callName) ? options.engineApi : options.desktop, valid as unknown[]);
      return { ok: true, value };
    } catch (error) {
      const plain = toPlainError(error);
      options.onRejected?.(name, plain.message);
      return { ok: false, error: plain };
    }
  };
}

/** Validates the private "paths were dropped" message from the preload: absolute paths only. */
export function parseDroppedPaths(payload: unknown): string[] {
  if (!Array.isArray(payload)) return [];
  const out: string[] = [];
  for (const p of payload.slice(0, 100_000)) {
    if (typeof p !== 'string' || p.length === 0 || p.length > 32_768 || p.includes('\0')) continue;
    // Absolute POSIX, drive-letter or UNC paths; anything relative is not something a person dropped.
    if (p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\')) out.push(p);
  }
  return out;
}

/**
 * Holds pushed events until the renderer says it is ready, then delivers them in order.
 * The renderer pulls its snapshot *before* it says ready, so events pushed in between must not be lost: they are
 * buffered (the renderer drops queue deltas older than its snapshot by `seq`). The buffer is bounded: while no window
 * is open (close-to-tray) only the newest `limit` events are kept, and a window that opens later pulls a fresh
 * snapshot anyway.
 */
export class EventGate<E extends string> {
  private ready = false;
  private readonly pending: Array<[E, unknown]> = [];
  constructor(
    private readonly send: (event: E, payload: unknown) => void,
    private readonly limit = 1000,
  ) {}
  /** Marks the renderer ready (after `rendererReady`) and delivers what was held, oldest first. */
  open(): void {
    this.ready = true;
    const held = this.pending.splice(0);
    for (const [event, payload] of held) this.send(event, payload);
  }
  /** Marks it not ready (window closed or reloading). */
  close(): void {
    this.ready = false;
  }
  get isOpen(): boolean {
    return this.ready;
  }
  /** Events held for the next `open()`. */
  get heldCount(): number {
    return this.pending.length;
  }
  /** Sends when ready, else holds; returns whether it was sent now. */
  push(event: E, payload: unknown): boolean {
    if (!this.ready) {
      this.pending.push([event, payload]);
      if (this.pending.length > this.limit) this.pending.shift();
      return false;
    }
    this.send(event, payload);
    return true;
  }
}
