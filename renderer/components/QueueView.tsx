import { useApp } from '../state/app';
import { useQueue } from '../state/queue';
import { DetailsPanel } from './DetailsPanel';
import { EmptyState } from './EmptyState';
import { QueueList } from './QueueList';
import { RowMenu } from './RowMenu';
import { SpeedChart } from './SpeedChart';

/** The queue view: chart, list and (when a job is selected) its details; the empty state before anything is added. */
export function QueueView({ themeKey }: { themeKey: string }) {
  const loaded = useQueue((s) => s.loaded);
  const empty = useQueue((s) => s.order.length === 0);
  const selected = useApp((s) => s.selectedJobId);
  const exists = useQueue((s) => (selected ? s.jobs[selected] !== undefined : false));
  if (!loaded) return <div className="loading" role="status">Loading the queue…</div>;
  if (empty) return <EmptyState />;
  return (
    <div className={`queue-view${selected && exists ? ' with-details' : ''}`}>
      <div className="queue-main">
        <SpeedChart key={themeKey} />
        <QueueList />
      </div>
      {selected && exists ? <DetailsPanel jobId={selected} /> : null}
      <RowMenu />
    </div>
  );
}
