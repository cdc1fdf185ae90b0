import { memo } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { formatBytes, formatEta, formatSpeed } from '../format';
import { useApp } from '../state/app';
import { useQueue } from '../state/queue';
import { JobActions } from './JobActions';
import { ProgressBar } from './ProgressBar';
import { StatusChip } from './StatusChip';

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
  return (
    <div
      id={`row-${id}`}
      className={`row job-row${nested ? ' nested' : ''}${selected ? ' selected' : ''}`}
      role="listitem"
      aria-current={selected ? 'true' : undefined}
      aria-posinset={index + 1}
      data-job-id={id}
      data-status={job.status}
      onClick={() => selectJob(selected ? undefined : id)}
    >
      <div className="row-name">
        <span className="name" title={job.path}>
          {job.name}
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
        <StatusChip
          status={job.status}
          attempt={job.attempt}
          nextAttemptAt={job.nextAttemptAt}
          sourceChanged={job.sourceChanged}
          errorMessage={job.lastError ? job.lastError.message : undefined}
        />
      </div>
      <JobActions job={job} name={job.name} />
    </div>
  );
});
