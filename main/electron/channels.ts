/** Private IPC channels between the preload and main, outside the renderer's contract (shared/ipc.ts). */

/** Preload → main: absolute paths of a trusted drop, to be granted before the renderer enqueues them. */
export const DROPPED_PATHS_CHANNEL = 'tusk:private:dropped-paths';
/** Preload → main: the page went online/offline (navigator events), for network loss handling. */
export const ONLINE_CHANNEL = 'tusk:private:online';
