import { useShallow } from 'zustand/react/shallow';
import { formatBytes, formatEta, formatSpeed } from '../format';
import { useQueue } from '../state/queue';
import { BandwidthControl } from './BandwidthControl';

/** Totals across the queue: files and bytes done and remaining, overall speed and ETA, the bandwidth limit. */
export function StatusBar() {
  const t = useQueue(useShallow((s) => s.totals));
  const remainingFiles = Math.max(0, t.filesTotal - t.filesDone - t.filesFailed);
  return (
    <footer className="status-bar" aria-label="Queue totals">
      <span data-field="files">
        {t.filesDone} of {t.filesTotal} files done
        {t.filesFailed > 0 ? <span className="bad">, {t.filesFailed} failed</span> : null}
        {remainingFiles > 0 ? `, ${remainingFiles} remaining` : ''}
      </span>
      <span data-field="bytes">
        {formatBytes(t.bytesDone)} of {formatBytes(t.bytesTotal)} ({formatBytes(Math.max(0, t.bytesTotal - t.bytesDone))} remaining)
      </span>
      <span className="spacer" />
      <span data-field="overall-speed" aria-label="Overall speed">
        {formatSpeed(t.speed)}
      </span>
      <span data-field="overall-eta">{t.speed > 0 ? formatEta(t.etaSeconds) : ''}</span>
      <BandwidthControl />
    </footer>
  );
}
