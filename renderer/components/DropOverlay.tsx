import { useEffect, useState } from 'react';
import { bridge } from '../bridge';
import { addPaths } from '../state/actions';
import { useApp } from '../state/app';

function hasFiles(e: DragEvent): boolean {
  return Array.from(e.dataTransfer?.types ?? []).includes('Files');
}

/**
 * Makes the whole window a drop target. While files are dragged over it, an overlay says where they will go;
 * dropped files and folders are resolved to paths by the bridge and added to the selected profile.
 */
export function DropOverlay() {
  const [active, setActive] = useState(false);
  const profileName = useApp((s) => s.profiles.find((p) => p.id === s.profileId)?.name);
  useEffect(() => {
    // dragenter/dragleave fire for every child element; count them so the overlay does not flicker.
    let depth = 0;
    const enter = (e: DragEvent): void => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      depth += 1;
      setActive(true);
    };
    const over = (e: DragEvent): void => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
    };
    const leave = (): void => {
      depth = Math.max(0, depth - 1);
      if (depth === 0) setActive(false);
    };
    const drop = (e: DragEvent): void => {
      // A row dragged within the list is not a file drop (the list handles it).
      if (!hasFiles(e)) return;
      e.preventDefault();
      depth = 0;
      setActive(false);
      const files = Array.from(e.dataTransfer?.files ?? []);
      const paths = files.map((f) => bridge().getPathForFile(f)).filter((p) => p !== '');
      const missing = files.length - paths.length;
      if (missing > 0 && paths.length > 0)
        useApp.getState().toast('warning', `${missing} dropped item${missing === 1 ? ' has' : 's have'} no path on disk and ${missing === 1 ? 'was' : 'were'} skipped.`);
      void addPaths(paths);
    };
    window.addEventListener('dragenter', enter);
    window.addEventListener('dragover', over);
    window.addEventListener('dragleave', leave);
    window.addEventListener('drop', drop);
    return () => {
      window.removeEventListener('dragenter', enter);
      window.removeEventListener('dragover', over);
      window.removeEventListener('dragleave', leave);
      window.removeEventListener('drop', drop);
    };
  }, []);
  if (!active) return null;
  return (
    <div className="drop-overlay" data-testid="drop-overlay" aria-live="polite">
      <div className="drop-card">
        <strong>Drop to upload</strong>
        <span>{profileName ? `to ${profileName}` : 'Add a server first (Servers tab)'}</span>
      </div>
    </div>
  );
}
