import { memo } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { formatBytes, formatEta, formatSpeed } from '../format';
import { useApp } from '../state/app';
import { useQueue } from '../state/queue';
import { canMove, priorityLevel } from '../state/reorder';
import { JobActions, openRowMenu } from './JobActions';
import { PriorityMarker } from './PriorityMarker';
import { ProgressBar } from './ProgressBar';
import { JobStatusChip } from './JobStatusChip';

/** The drag data type of a row being moved (files dragged in from outside carry `Files` instead). */
export const JOB_DRAG_TYPE = 'application/x-tusk-job';

/**
 * One job. Subscribes to its own entry only (and to whether it is selected), so another job's progress does not
 * re-render it.
 */
export const JobRow = memo(function JobRow({ id, nested, index }: { id: string; nested: boolean; index: number }) {
  const job = useQueue((s) => s.jobs[id]);
  const { selected, selectJob } = useApp(useShallow((s) => ({ selected: s.selectedJobId === id, selectJob: s.selectJob })));
  if (!job) return null;
  const completed = job.status === 'completed';
  const running = job.status === 'uploading';
  const tone = job.sourceChanged && !completed ? 'source-changed' : job.status;
  const movable = canMove(job.status);
  return (
    <div
      id={`row-${id}`}
      className={`row job-row${nested ? ' nested' : ''}${selected ? ' selected' : ''}`}
      role="listitem"
      aria-current={selected ? 'true' : undefined}
      aria-posinset={index + 1}
      data-job-id={id}
      data-status={job.status}
      data-priority={priorityLevel(job.priority)}
      onClick={() => selectJob(selected ? undefined : id)}
      onContextMenu={(e) => {
        e.preventDefault();
        openRowMenu('job', id, { x: e.clientX, y: e.clientY });
      }}
      // Drag to reorder (QueueList handles the drop): only files that are waiting can move.
      draggable={movable}
      onDragStart={
        movable
          ? (e) => {
              e.dataTransfer.setData(JOB_DRAG_TYPE, id);
              e.dataTransfer.effectAllowed = 'move';
            }
          : undefined
      }
    >
      <div className="row-name">
        <span className="name" title={job.path}>
          <span className="name-text">{job.name}</span>
          <PriorityMarker priority={job.priority} />
        </span>
        <span className="relpath" title={job.path}>
          {job.relativePath ?? job.path}
        </span>
        {job.notice ? <span className="notice">{job.notice}</span> : null}
      </div>
      <div className="row-progress">
        <ProgressBar offset={job.offset} size={job.size} completed={completed} tone={tone} label={`Progress of ${job.name}`} />
        <div className="row-figures">
          <span className="sent" data-field="sent">
            {formatBytes(completed ? job.size : job.offset)} of {formatBytes(job.size)}
          </span>
          <span className="speed" data-field="speed">
            {running ? formatSpeed(job.speed) : ''}
          </span>
          <span className="eta" data-field="eta">
            {running ? formatEta(job.etaSeconds) : ''}
          </span>
        </div>
      </div>
      <div className="row-status">
        <JobStatusChip job={job} />
      </div>
      <JobActions job={job} name={job.name} menu />
    </div>
  );
});
