/**
 * Calls to the bridge that the UI makes, with their errors turned into toasts (nothing fails silently), and the
 * start-up sequence: snapshot, then deltas.
 */
import type { Target } from '../../shared/types';
import type { AddResult } from '../../shared/types';
import { api, bridge, errorMessage } from '../bridge';
import { useApp } from './app';
import { useQueue } from './queue';
import { canMove, listPosition, moveTarget, PRIORITY, type Move, type PriorityLevel } from './reorder';

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

const MOVE_WORDS: Record<Move, string> = { top: 'to the top', up: 'up', down: 'down', bottom: 'to the bottom' };
const EDGE_WORDS: Record<Move, string> = { top: 'first', up: 'first', down: 'last', bottom: 'last' };
let followTimer: ReturnType<typeof setTimeout> | undefined;

/** Where a job stands in the list now, in words ("position 2 of 5", "file 2 of 9 in shoot"). */
export function positionWords(jobId: string): string | undefined {
  const q = useQueue.getState();
  const pos = listPosition(q.order, (id) => q.batchOf[id], jobId);
  if (!pos) return undefined;
  if (pos.batchId !== undefined) return `file ${pos.position} of ${pos.of} in ${q.batches[pos.batchId]?.name ?? 'its folder'}`;
  return `position ${pos.position} of ${pos.of}`;
}

/**
 * Keeps the job selected and asks the list to scroll to it (and announce where it went) when the engine's new order
 * arrives. Set before the call: the delta may arrive before the call's answer. Given up after a few seconds.
 */
function follow(jobId: string): void {
  const q = useQueue.getState();
  const app = useApp.getState();
  app.selectJob(jobId);
  app.setFollow({ jobId, from: listPosition(q.order, (id) => q.batchOf[id], jobId)?.position ?? 0 });
  if (followTimer) clearTimeout(followTimer);
  followTimer = setTimeout(() => {
    if (useApp.getState().follow?.jobId === jobId) useApp.getState().setFollow(undefined);
  }, 4000);
}

/** Sends `reorder` for a job with an index from `moveTarget`/`dropTarget`; failures become toasts. */
export async function reorderJob(jobId: string, toIndex: number): Promise<boolean> {
  const name = useQueue.getState().jobs[jobId]?.name ?? 'the file';
  follow(jobId);
  const ok = await succeeded(`Moving ${name}`, () => api().reorder({ jobId, toIndex }));
  if (!ok) useApp.getState().setFollow(undefined);
  return ok;
}

/** Moves a job up, down, to the top or bottom of what the list shows; says so when it is already there. */
export function moveJob(jobId: string, move: Move): Promise<void> {
  // Moves run one after another, each from the order the previous one produced: Alt+↑ held down (key repeat) or
  // pressed twice quickly moves two places, not one place twice.
  const run = moves.then(() => moveNow(jobId, move)).then(orderSettled);
  moves = run.catch(() => undefined);
  return run;
}

let moves: Promise<void> = Promise.resolve();

/** Resolves when the list has taken in the last move (nothing to follow any more), or after a second at most. */
function orderSettled(): Promise<void> {
  if (!useApp.getState().follow) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      off();
      resolve();
    };
    const timer = setTimeout(done, 1000);
    const off = useApp.subscribe((s) => {
      if (!s.follow) done();
    });
  });
}

async function moveNow(jobId: string, move: Move): Promise<void> {
  const q = useQueue.getState();
  const job = q.jobs[jobId];
  if (!job) return;
  if (!canMove(job.status)) {
    useApp.getState().announce(`${job.name} cannot be moved while it is ${job.status}: only waiting files can.`);
    return;
  }
  const to = moveTarget(q.order, (id) => q.batchOf[id], jobId, move);
  if (to === undefined) {
    useApp.getState().announce(`${job.name} is already ${EDGE_WORDS[move]}; it cannot move ${MOVE_WORDS[move]}.`);
    return;
  }
  await reorderJob(jobId, to);
}

/** Sets the priority of a job or a whole folder and announces it. */
export async function setPriorityLevel(target: { kind: 'job' | 'batch'; id: string }, level: PriorityLevel): Promise<void> {
  const q = useQueue.getState();
  const name = target.kind === 'job' ? q.jobs[target.id]?.name : `folder ${q.batches[target.id]?.name ?? ''}`;
  if (target.kind === 'job') follow(target.id);
  const ok = await succeeded(`Setting the priority of ${name ?? 'the file'}`, () =>
    api().setPriority({ target, priority: PRIORITY[level] }),
  );
  if (ok) useApp.getState().announce(`Priority of ${name}: ${level}.`);
  else useApp.getState().setFollow(undefined);
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
