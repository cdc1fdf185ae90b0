/**
 * The renderer's only door to the app: `window.tusk` (built by the preload in Electron, by the test harness in the
 * browser suite). Typed from the one contract in shared/ipc.ts.
 */
import type { TuskApi, TuskBridge } from '../shared/ipc';

declare global {
  interface Window {
    tusk?: TuskBridge;
  }
}

/** The bridge; throws a clear error when the page was opened outside Tusk (no preload, no harness). */
export function bridge(): TuskBridge {
  const b = window.tusk;
  if (!b) throw new Error('window.tusk is missing: this page must be opened by Tusk (or the test harness).');
  return b;
}

/** Shorthand for `bridge().api`. */
export function api(): TuskApi {
  return bridge().api;
}

/** Turns anything thrown by a call into a sentence for a toast. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message.replace(/^Error invoking remote method '[^']+': (Error: )?/, '');
  return String(err);
}
