/**
 * Calls to the bridge that the UI makes, with their errors turned into toasts (nothing fails silently), and the
 * start-up sequence: snapshot, then deltas.
 */
import type { Target } from '../../shared/types';
import type { AddResult } from '../../shared/types';
import { api, bridge, errorMessage } from '../bridge';
import { useApp } from './app';
import { useQueue } from './queue';

/** Runs a call; on failure shows the error as a toast and resolves to undefined. */
export async function attempt<T>(what: string, call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (err) {
    useApp.getState().toast('error', `${what} failed: ${errorMessage(err)}`);
    return undefined;
  }
}

/** Runs a call whose result does not matter; true when it succeeded (a failure was shown as a toast). */
export async function succeeded(what: string, call: () => Promise<unknown>): Promise<boolean> {
  try {
    await call();
    return true;
  } catch (err) {
    useApp.getState().toast('error', `${what} failed: ${errorMessage(err)}`);
    return false;
  }
}

/** Says what an add did: how many were queued and what was refused (and why). */
export function reportAdd(result: AddResult | undefined): void {
  if (!result) return;
  const { toast } = useApp.getState();
  const files = result.jobIds.length;
  const folders = result.batchIds.length;
  if (files > 0 || folders > 0) {
    const parts = [`${files} file${files === 1 ? '' : 's'} added`];
    if (folders > 0) parts.push(`in ${folders} folder${folders === 1 ? '' : 's'}`);
    toast('info', parts.join(' '));
  }
  for (const r of result.rejected.slice(0, 3)) toast('warning', `Not added: ${r.path} — ${r.reason}`);
  if (result.rejected.length > 3) toast('warning', `${result.rejected.length - 3} more paths were not added.`);
}

/** Adds paths (from a drop) to the selected profile. */
export async function addPaths(paths: string[]): Promise<void> {
  const { profileId, toast } = useApp.getState();
  if (paths.length === 0) {
    toast('warning', 'Nothing to add: the dropped items have no path on disk (drop files from your file manager).');
    return;
  }
  reportAdd(await attempt('Adding files', () => api().addPaths({ paths, profileId })));
}

/** Runs a queue action on a target. */
export function act(action: 'pause' | 'resume' | 'cancel' | 'retry' | 'remove', target: Target): Promise<void | undefined> {
  const label = { pause: 'Pause', resume: 'Resume', cancel: 'Cancel', retry: 'Retry', remove: 'Remove' }[action];
  return attempt(label, () => api()[action](target));
}

/** Reloads profiles (after a save or delete). */
export async function refreshProfiles(): Promise<void> {
  const profiles = await attempt('Loading server profiles', () => api().listProfiles());
  if (profiles) useApp.getState().setProfiles(profiles);
}

/** Asks a profile's server what it can do and caches the answer. */
export async function checkServer(profileId: string): Promise<void> {
  const app = useApp.getState();
  app.setChecking(profileId, true);
  try {
    const caps = await attempt('Testing the connection', () => api().testConnection({ profileId }));
    if (caps) useApp.getState().setCapabilities(profileId, caps);
  } finally {
    useApp.getState().setChecking(profileId, false);
  }
}

/**
 * Connects the stores to the bridge: subscribes first (so nothing pushed in between is lost; stale deltas are
 * dropped by `seq`), then pulls settings, profiles and the snapshot, then tells main the window is ready.
 * Returns the unsubscribe function.
 */
export async function connect(): Promise<() => void> {
  const b = bridge();
  const pending: Parameters<ReturnType<typeof useQueue.getState>['applyDelta']>[0][] = [];
  let loaded = false;
  const offs = [
    b.on('queue:delta', (delta) => {
      if (loaded) useQueue.getState().applyDelta(delta);
      else pending.push(delta);
    }),
    b.on('settings:changed', (settings) => useApp.getState().setSettings(settings)),
    b.on('toast', (t) => useApp.getState().toast(t.level, t.message)),
    // The application menu (e.g. Settings… Ctrl/Cmd+,) switches views.
    b.on('menu:open-view', ({ view }) => useApp.getState().setView(view)),
  ];
  const [settings, profiles, snapshot] = await Promise.all([
    b.api.getSettings(),
    b.api.listProfiles(),
    b.api.getSnapshot(),
  ]);
  useApp.getState().setSettings(settings);
  useApp.getState().setProfiles(profiles);
  useQueue.getState().loadSnapshot(snapshot);
  loaded = true;
  for (const delta of pending) useQueue.getState().applyDelta(delta);
  await b.api.rendererReady();
  return () => offs.forEach((off) => off());
}
