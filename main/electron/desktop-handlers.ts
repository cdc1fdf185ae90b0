/**
 * The `DesktopApi` handlers over an injected `DesktopPlatform` (native dialogs, file manager, clipboard), so they are
 * tested on Node with a fake platform and a fake engine. index.ts provides the Electron platform.
 */
import { writeFile } from 'node:fs/promises';
import type { DesktopApi } from '../../shared/ipc';
import type { AddResult } from '../../shared/types';
import type { Engine } from '../engine/engine-types';

/** What the handlers need from the OS. */
export interface DesktopPlatform {
  /** Native open dialog for files (multi-select); [] when cancelled. */
  chooseFiles(): Promise<string[]>;
  /** Native open dialog for folders (multi-select where the OS allows); [] when cancelled. */
  chooseFolders(): Promise<string[]>;
  /** Native save dialog; undefined when cancelled. */
  chooseSavePath(suggestedName: string, format: 'csv' | 'json'): Promise<string | undefined>;
  revealInFolder(path: string): void;
  writeClipboard(text: string): void;
}

const EMPTY: AddResult = { jobIds: [], batchIds: [], rejected: [] };

/** Options of `createDesktopHandlers`. */
export interface DesktopHandlerOptions {
  engine: Pick<Engine, 'api' | 'grantPaths'>;
  platform: DesktopPlatform;
  /** Called when the renderer says it is ready (ipc.ts opens the event gate itself). */
  onRendererReady?: () => void;
}

/** Builds the `DesktopApi`. Paths chosen in a dialog are granted before they are enqueued. */
export function createDesktopHandlers(options: DesktopHandlerOptions): DesktopApi {
  const { engine, platform } = options;
  const addChosen = async (paths: string[], profileId: string | undefined): Promise<AddResult> => {
    if (paths.length === 0) return EMPTY;
    engine.grantPaths(paths);
    return engine.api.addPaths(profileId ? { paths, profileId } : { paths });
  };
  return {
    addFilesWithDialog: async ({ profileId }) => addChosen(await platform.chooseFiles(), profileId),
    addFolderWithDialog: async ({ profileId }) => addChosen(await platform.chooseFolders(), profileId),
    async revealFile(jobId) {
      const { job } = await engine.api.getJobDetails(jobId);
      platform.revealInFolder(job.path);
    },
    async copyUploadUrl({ jobId, which }) {
      const { job } = await engine.api.getJobDetails(jobId);
      const url = which === 'upload' ? job.uploadUrl : job.resultUrl;
      if (!url) {
        throw new Error(
          which === 'upload'
            ? `"${job.name}" has no upload URL yet: the server gives one when the upload starts.`
            : `"${job.name}" has no result URL: the server did not return one when the upload finished.`,
        );
      }
      platform.writeClipboard(url);
    },
    async saveHistoryExport({ format }) {
      const { content, suggestedName } = await engine.api.exportHistory({ format });
      const target = await platform.chooseSavePath(suggestedName, format);
      if (!target) return undefined;
      try {
        await writeFile(target, content, 'utf8');
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? '';
        throw new Error(`Could not save the history to ${target} (${code || String(error)}). Choose another place.`, {
          cause: error,
        });
      }
      return target;
    },
    async rendererReady() {
      options.onRendererReady?.();
    },
  };
}
