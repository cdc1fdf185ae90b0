import { memo } from 'react';
import { formatBytes, formatEta, formatSpeed } from '../format';
import { act } from '../state/actions';
import { useApp } from '../state/app';
import { batchMembers, useQueue } from '../state/queue';
import { priorityLevel, type PriorityLevel } from '../state/reorder';
import { MoreButton, openRowMenu } from './JobActions';
import { PriorityMarker } from './PriorityMarker';
import { Icon } from './Icon';
import { ProgressBar } from './ProgressBar';
import { StatusChip } from './StatusChip';

/** A dropped folder: aggregate progress, counts, batch-wide actions; click or Enter expands it. */
export const BatchRow = memo(function BatchRow({ id, index }: { id: string; index: number }) {
  const batch = useQueue((s) => s.batches[id]);
  const expanded = useApp((s) => s.expanded.has(id));
  const toggle = useApp((s) => s.toggleBatch);
  // One string out of the members' priorities: the row re-renders only when the folder's level changes.
  const level = useQueue((s): PriorityLevel | 'mixed' => {
    let found: PriorityLevel | undefined;
    for (const jobId of batchMembers(s.batchOf).get(id) ?? []) {
      const l = priorityLevel(s.jobs[jobId]?.priority ?? 0);
      if (found === undefined) found = l;
      else if (found !== l) return 'mixed';
    }
    return found ?? 'normal';
  });
  if (!batch) return null;
  const completed = batch.status === 'completed';
  const target = { kind: 'batch' as const, id };
  const running = batch.activeCount > 0 && batch.speed > 0;
  return (
    <div
      id={`row-${id}`}
      className="row batch-row"
      role="listitem"
      aria-posinset={index + 1}
      aria-expanded={expanded}
      data-batch-id={id}
      data-status={batch.status}
      data-priority={level}
      onClick={() => toggle(id)}
      onContextMenu={(e) => {
        e.preventDefault();
        openRowMenu('batch', id, { x: e.clientX, y: e.clientY });
      }}
    >
      <div className="row-name">
        <span className="name">
          <button
            type="button"
            className={`disclosure${expanded ? ' open' : ''}`}
            aria-label={`${expanded ? 'Collapse' : 'Expand'} folder ${batch.name}`}
            aria-expanded={expanded}
            onClick={(e) => {
              e.stopPropagation();
              toggle(id);
            }}
          >
            <Icon name="chevron" size={14} />
          </button>
          <Icon name="folder" size={15} /> <span className="name-text">{batch.name}</span>
          <PriorityMarker level={level} />
        </span>
        <span className="relpath" data-field="batch-count">
          {batch.completedCount} of {batch.jobCount} files done
          {batch.failedCount > 0 ? `, ${batch.failedCount} failed` : ''}
          {batch.problems.length > 0 ? `, ${batch.problems.length} skipped` : ''}
        </span>
      </div>
      <div className="row-progress">
        <ProgressBar offset={batch.offset} size={batch.size} completed={completed} tone={batch.status} label={`Progress of folder ${batch.name}`} />
        <div className="row-figures">
          <span className="sent">
            {formatBytes(completed ? batch.size : batch.offset)} of {formatBytes(batch.size)}
          </span>
          <span className="speed">{running ? formatSpeed(batch.speed) : ''}</span>
          <span className="eta">{running ? formatEta(batch.etaSeconds) : ''}</span>
        </div>
      </div>
      <div className="row-status">
        <StatusChip status={batch.status} attempt={0} />
      </div>
      <div className="row-actions" role="group" aria-label={`Actions for folder ${batch.name}`}>
        {batch.status === 'paused' ? (
          <button type="button" className="icon-button" data-action="resume" aria-label={`Resume folder ${batch.name}`} title="Resume folder" onClick={(e) => { e.stopPropagation(); void act('resume', target); }}>
            <Icon name="play" />
          </button>
        ) : batch.status !== 'completed' && batch.status !== 'cancelled' && batch.status !== 'failed' ? (
          <button type="button" className="icon-button" data-action="pause" aria-label={`Pause folder ${batch.name}`} title="Pause folder" onClick={(e) => { e.stopPropagation(); void act('pause', target); }}>
            <Icon name="pause" />
          </button>
        ) : null}
        {batch.failedCount > 0 ? (
          <button type="button" className="icon-button" data-action="retry" aria-label={`Retry failed files of ${batch.name}`} title="Retry failed" onClick={(e) => { e.stopPropagation(); void act('retry', target); }}>
            <Icon name="retry" />
          </button>
        ) : null}
        {batch.status !== 'completed' && batch.status !== 'cancelled' ? (
          <button type="button" className="icon-button" data-action="cancel" aria-label={`Cancel folder ${batch.name}`} title="Cancel folder" onClick={(e) => { e.stopPropagation(); void act('cancel', target); }}>
            <Icon name="cancel" />
          </button>
        ) : null}
        <button type="button" className="icon-button" data-action="remove" aria-label={`Remove folder ${batch.name}`} title="Remove folder from queue" onClick={(e) => { e.stopPropagation(); void act('remove', target); }}>
          <Icon name="trash" />
        </button>
        <MoreButton kind="batch" id={id} name={`folder ${batch.name}`} />
      </div>
    </div>
  );
});
