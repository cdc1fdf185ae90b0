/**
 * The decisions of the desktop shell, as pure functions and small controllers over injected parts: what the tray
 * and taskbar show, when to keep the computer awake, how to react to sleep and network loss, what to notify.
 * index.ts/tray.ts wire them to Electron; tests/electron/shell-logic.test.ts drives them with a fake engine.
 */
import type { Engine, EngineNotification, EngineStatus } from '../engine/engine-types';
import type { Settings } from '../../shared/types';

/** Bytes as a person reads them (binary units). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '?';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

function percent(done: number, total: number): number {
  return total > 0 ? Math.min(100, Math.floor((done / total) * 100)) : 0;
}

/** The tray icon's tooltip. */
export function trayTooltip(status: EngineStatus): string {
  const t = status.totals;
  const failed = t.filesFailed > 0 ? `, ${t.filesFailed} failed` : '';
  if (status.paused && t.filesDone + t.filesFailed < t.filesTotal) {
    return `Tusk: paused, ${percent(t.bytesDone, t.bytesTotal)}% of ${formatBytes(t.bytesTotal)}${failed}`;
  }
  if (status.active > 0) {
    const speed = t.speed > 0 ? `, ${formatBytes(t.speed)}/s` : '';
    return (
      `Tusk: ${status.active} uploading, ${percent(t.bytesDone, t.bytesTotal)}% ` +
      `(${formatBytes(t.bytesDone)} of ${formatBytes(t.bytesTotal)})${speed}${failed}`
    );
  }
  if (t.filesFailed > 0) return `Tusk: idle${failed}`;
  return 'Tusk: idle';
}

/** Taskbar/dock progress: `value` in 0..1, or -1 to hide; `mode` as BrowserWindow.setProgressBar takes it. */
export function progressBar(status: EngineStatus): { value: number; mode: 'normal' | 'paused' | 'error' | 'none' } {
  const t = status.totals;
  const unfinished = t.filesDone + t.filesFailed < t.filesTotal;
  if (!unfinished || t.bytesTotal <= 0 || (status.active === 0 && !status.paused)) return { value: -1, mode: 'none' };
  const value = Math.min(1, t.bytesDone / t.bytesTotal);
  if (status.paused) return { value, mode: 'paused' };
  return { value, mode: t.filesFailed > 0 ? 'error' : 'normal' };
}

/** The dock/taskbar badge: active uploads (0 clears it). */
export function badgeCount(status: EngineStatus): number {
  return status.paused ? 0 : status.active;
}

/** Whether to block system sleep now. */
export function shouldBlockPowerSave(status: EngineStatus, settings: Pick<Settings, 'keepAwake'>): boolean {
  return settings.keepAwake && !status.paused && status.active > 0;
}

/** Starts and stops a power-save blocker as status and settings change (Electron's powerSaveBlocker injected). */
export class PowerSaveController {
  private id: number | undefined;
  constructor(private readonly blocker: { start(): number; stop(id: number): void }) {}
  /** Applies the decision; returns whether a blocker is held afterwards. */
  update(status: EngineStatus, settings: Pick<Settings, 'keepAwake'>): boolean {
    const want = shouldBlockPowerSave(status, settings);
    if (want && this.id === undefined) this.id = this.blocker.start();
    if (!want && this.id !== undefined) {
      this.blocker.stop(this.id);
      this.id = undefined;
    }
    return this.id !== undefined;
  }
  get active(): boolean {
    return this.id !== undefined;
  }
  dispose(): void {
    if (this.id !== undefined) this.blocker.stop(this.id);
    this.id = undefined;
  }
}

/** Why uploads are suspended by the system (not by a person). */
export type SuspendReason = 'system' | 'network';

/**
 * Turns power and network events into engine.suspend/wake. Uploads wake only once every reason is gone (a laptop
 * that resumes from sleep without network stays suspended until the network is back).
 */
export class ConnectivityController {
  private readonly reasons = new Set<SuspendReason>();
  private chain: Promise<void> = Promise.resolve();
  constructor(
    private readonly engine: Pick<Engine, 'suspend' | 'wake'>,
    private readonly toast: (level: 'info' | 'warning', message: string) => void = () => undefined,
    private readonly log: (message: string) => void = () => undefined,
  ) {}
  get suspendedFor(): SuspendReason[] {
    return [...this.reasons];
  }
  /** powerMonitor 'suspend' (and 'lock-screen' is ignored: uploads can continue while locked). */
  systemSuspended(): Promise<void> {
    return this.add('system', 'system suspend');
  }
  /** powerMonitor 'resume'. */
  systemResumed(): Promise<void> {
    return this.remove('system', 'The computer woke up; resuming uploads.');
  }
  /** net.isOnline() polling or the renderer's online/offline events (repeats are ignored). */
  networkChanged(online: boolean): Promise<void> {
    if (online) return this.remove('network', 'Network is back; resuming uploads.');
    return this.add('network', 'network lost', 'Network lost; uploads will resume when it is back.');
  }
  /** Waits for the suspend/wake calls issued so far. */
  settled(): Promise<void> {
    return this.chain;
  }
  private add(reason: SuspendReason, why: string, message?: string): Promise<void> {
    if (this.reasons.has(reason)) return this.chain;
    const first = this.reasons.size === 0;
    this.reasons.add(reason);
    if (message) this.toast('warning', message);
    if (first) this.enqueue(() => this.engine.suspend(why), `suspend (${why})`);
    return this.chain;
  }
  private remove(reason: SuspendReason, message: string): Promise<void> {
    if (!this.reasons.delete(reason)) return this.chain;
    if (this.reasons.size === 0) {
      this.toast('info', message);
      this.enqueue(() => this.engine.wake(), 'wake');
    }
    return this.chain;
  }
  // Serialised so a quick suspend → wake reaches the engine in that order.
  private enqueue(fn: () => Promise<void>, what: string): void {
    this.chain = this.chain.then(fn).catch((error: unknown) => {
      this.log(`Engine ${what} failed: ${error instanceof Error ? error.message : String(error)}`);
    });
  }
}

/** A desktop notification's text. */
export interface NotificationText {
  title: string;
  body: string;
  urgency: 'normal' | 'critical';
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The text of the one notification an engine notification becomes. */
export function notificationText(n: EngineNotification): NotificationText {
  switch (n.kind) {
    case 'batch-finished': {
      const b = n.batch;
      if (b.failedCount > 0) {
        return {
          title: `"${b.name}" finished with ${plural(b.failedCount, 'failure')}`,
          body: `${b.completedCount} of ${plural(b.jobCount, 'file')} uploaded. Open Tusk to see what failed and retry.`,
          urgency: 'critical',
        };
      }
      return {
        title: `"${b.name}" uploaded`,
        body: `${plural(b.completedCount, 'file')}, ${formatBytes(b.size)}.`,
        urgency: 'normal',
      };
    }
    case 'jobs-finished':
      return {
        title: `${plural(n.count, 'upload')} finished`,
        body: `${formatBytes(n.bytes)} uploaded.`,
        urgency: 'normal',
      };
    case 'failures':
      return {
        title: `${plural(n.count, 'upload')} failed`,
        body: `${n.firstReason} Open Tusk to retry.`,
        urgency: 'critical',
      };
  }
}

/** Whether to show a notification: only when enabled, and successes only when the window is not in front. */
export function shouldNotify(n: EngineNotification, settings: Pick<Settings, 'notifications'>, windowFocused: boolean): boolean {
  if (!settings.notifications) return false;
  const failure = n.kind === 'failures' || (n.kind === 'batch-finished' && n.batch.failedCount > 0);
  return failure || !windowFocused;
}

/** What closing the window does: hide to the tray while uploads run (setting), else really close. */
export function closeAction(input: { closeToTray: boolean; active: number; quitting: boolean }): 'hide' | 'close' {
  return !input.quitting && input.closeToTray && input.active > 0 ? 'hide' : 'close';
}

/** One entry of the tray menu. */
export interface TrayMenuEntry {
  id: 'show' | 'pause-all' | 'resume-all' | 'quit' | 'separator';
  label: string;
  enabled: boolean;
}

/** The tray menu for a status. */
export function trayMenuModel(status: EngineStatus, windowVisible: boolean): TrayMenuEntry[] {
  const t = status.totals;
  const unfinished = t.filesDone + t.filesFailed < t.filesTotal;
  return [
    { id: 'show', label: windowVisible ? 'Show Tusk' : 'Open Tusk', enabled: true },
    { id: 'separator', label: '', enabled: true },
    { id: 'pause-all', label: 'Pause all', enabled: status.active > 0 && !status.paused },
    { id: 'resume-all', label: 'Resume all', enabled: unfinished && (status.paused || status.active === 0) },
    { id: 'separator', label: '', enabled: true },
    { id: 'quit', label: status.active > 0 ? 'Quit (uploads resume next time)' : 'Quit Tusk', enabled: true },
  ];
}
