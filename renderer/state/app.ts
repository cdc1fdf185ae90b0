/**
 * Everything in the window that is not the queue: settings, server profiles, the selected profile and job, which view
 * is open, expanded batches, toasts and the capabilities cache.
 */
import { create } from 'zustand';
import type { ServerCapabilities, ServerProfile, Settings } from '../../shared/types';

/** The main views (tabs). */
export type View = 'queue' | 'history' | 'servers' | 'settings';

/** A short message in the corner. */
export interface Toast {
  id: number;
  level: 'info' | 'warning' | 'error';
  message: string;
}

/** The row menu (context menu) that is open: for a job or a folder, at a point in the viewport. */
export interface RowMenu {
  kind: 'job' | 'batch';
  id: string;
  x: number;
  y: number;
  /** The element to focus when the menu closes without a move (the button that opened it, or the list). */
  opener?: HTMLElement | null;
  /** Place the menu under the opener as laid out when the menu shows (opening it may open the details panel). */
  underOpener?: boolean;
}

/** A job the list should scroll to (and announce) once the engine's new order arrives after a move or priority change. */
export interface Follow {
  jobId: string;
  /** Its 1-based list position when the change was asked for. */
  from: number;
}

/** App state. */
export interface AppState {
  view: View;
  settings?: Settings;
  profiles: ServerProfile[];
  /** Where drops and the Add buttons send files. */
  profileId?: string;
  selectedJobId?: string;
  /** Batch ids whose members are listed. */
  expanded: ReadonlySet<string>;
  toasts: Toast[];
  /** Last `testConnection` answer per profile id. */
  capabilities: Record<string, ServerCapabilities | undefined>;
  /** Profile ids with a `testConnection` in flight. */
  checking: Record<string, boolean>;
  /** What the queue's live region says last (`n` changes so the same words are announced again). */
  announcement: { n: number; text: string };
  follow?: Follow;
  menu?: RowMenu;
  setView(view: View): void;
  setSettings(settings: Settings): void;
  setProfiles(profiles: ServerProfile[]): void;
  selectProfile(profileId: string | undefined): void;
  selectJob(jobId: string | undefined): void;
  toggleBatch(batchId: string): void;
  toast(level: Toast['level'], message: string): void;
  dismissToast(id: number): void;
  setCapabilities(profileId: string, caps: ServerCapabilities | undefined): void;
  setChecking(profileId: string, checking: boolean): void;
  announce(text: string): void;
  setFollow(follow: Follow | undefined): void;
  openMenu(menu: RowMenu | undefined): void;
}

let toastSeq = 0;

/** The app store. */
export const useApp = create<AppState>()((set) => ({
  view: 'queue',
  profiles: [],
  expanded: new Set<string>(),
  toasts: [],
  capabilities: {},
  checking: {},
  announcement: { n: 0, text: '' },
  setView: (view) => set({ view }),
  setSettings: (settings) => set({ settings }),
  setProfiles: (profiles) =>
    set((s) => {
      // Keep the selection if it still exists; else the default profile; else the first.
      const keep = s.profileId && profiles.some((p) => p.id === s.profileId) ? s.profileId : undefined;
      const fallback = profiles.find((p) => p.id === s.settings?.defaultProfileId)?.id ?? profiles[0]?.id;
      return { profiles, profileId: keep ?? fallback };
    }),
  selectProfile: (profileId) => set({ profileId }),
  selectJob: (selectedJobId) => set({ selectedJobId }),
  toggleBatch: (batchId) =>
    set((s) => {
      const expanded = new Set(s.expanded);
      if (expanded.has(batchId)) expanded.delete(batchId);
      else expanded.add(batchId);
      return { expanded };
    }),
  toast: (level, message) => {
    const id = ++toastSeq;
    set((s) => ({ toasts: [...s.toasts.slice(-4), { id, level, message }] }));
    setTimeout(() => set((s) => ({ toasts: s.toasts.filter((t) => t.id !== id) })), level === 'error' ? 9000 : 5000);
  },
  dismissToast: (id) => set((s) => ({ toasts: s.toasts.filter((t) => t.id !== id) })),
  setCapabilities: (profileId, caps) => set((s) => ({ capabilities: { ...s.capabilities, [profileId]: caps } })),
  setChecking: (profileId, checking) => set((s) => ({ checking: { ...s.checking, [profileId]: checking } })),
  announce: (text) => set((s) => ({ announcement: { n: s.announcement.n + 1, text } })),
  setFollow: (follow) => set({ follow }),
  openMenu: (menu) => set({ menu }),
}));
