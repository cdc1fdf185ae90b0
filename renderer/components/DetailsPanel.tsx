import { useEffect, useState, type ReactNode } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { JobDetails } from '../../shared/types';
import { api, errorMessage } from '../bridge';
import { formatBytes, formatDuration, formatSpeed, formatTime } from '../format';
import { useApp } from '../state/app';
import { moveJob, setPriorityLevel } from '../state/actions';
import { useQueue } from '../state/queue';
import { canMove, listPosition, moveTarget, priorityLevel, PRIORITY_LEVELS, type Move } from '../state/reorder';
import { Icon } from './Icon';
import { JobActions } from './JobActions';
import { JobStatusChip } from './JobStatusChip';

function Field({ label, value, mono = false }: { label: string; value: ReactNode; mono?: boolean }) {
  return (
    <>
      <dt>{label}</dt>
      <dd className={mono ? 'mono' : undefined}>{value ?? '—'}</dd>
    </>
  );
}

/**
 * Everything known about the selected job (`api.getJobDetails`): URLs, server offset, checksum, timings and the attempt
 * log. Re-asks when the job's status, attempt or URL changes, not on every progress tick.
 */
export function DetailsPanel({ jobId }: { jobId: string }) {
  const job = useQueue((s) => s.jobs[jobId]);
  const key = useQueue(
    useShallow((s) => {
      const j = s.jobs[jobId];
      return [j?.status, j?.attempt, j?.uploadUrl, j?.resultUrl, j?.nextAttemptAt];
    }),
  );
  const close = useApp((s) => s.selectJob);
  const [details, setDetails] = useState<JobDetails | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    let live = true;
    api()
      .getJobDetails(jobId)
      .then((d) => {
        if (live) {
          setDetails(d);
          setError(undefined);
        }
      })
      .catch((err: unknown) => live && setError(errorMessage(err)));
    return () => {
      live = false;
    };
  }, [jobId, ...key]);

  if (!job) return null;
  const d = details?.job.id === jobId ? details : undefined;
  const elapsed = job.startedAt ? ((job.finishedAt ?? Date.now()) - job.startedAt) / 1000 : undefined;
  return (
    <aside className="details" aria-labelledby="details-title" data-testid="details">
      <header className="details-head">
        <h2 id="details-title" title={job.path}>
          {job.name}
        </h2>
        <button type="button" className="icon-button" aria-label="Close details" title="Close" onClick={() => close(undefined)}>
          <Icon name="close" />
        </button>
      </header>
      <div className="details-status">
        <JobStatusChip job={job} />
        <JobActions job={job} name={job.name} />
      </div>
      <OrderControls jobId={jobId} />
      {job.lastError && job.status !== 'completed' ? (
        <div className="callout error" role="status">
          <strong>{job.lastError.message}</strong>
          {job.lastError.hint ? <p>{job.lastError.hint}</p> : null}
        </div>
      ) : null}
      {job.notice ? <div className="callout info">{job.notice}</div> : null}
      {error ? (
        <div className="callout error" role="alert">
          Could not load the details: {error}
        </div>
      ) : null}
      <dl className="fields">
        <Field label="File" value={job.path} mono />
        <Field label="Size" value={`${formatBytes(job.size)} (${job.size.toLocaleString()} bytes)`} />
        <Field label="Sent" value={`${formatBytes(job.offset)} (${job.offset.toLocaleString()} bytes)`} />
        <Field label="Server offset" value={d?.serverOffset !== undefined ? `${d.serverOffset.toLocaleString()} bytes` : '—'} />
        <Field label="Endpoint" value={d?.endpoint} mono />
        <Field label="Upload URL" value={job.uploadUrl} mono />
        <Field label="Result URL" value={job.resultUrl} mono />
        <Field label="Checksum" value={job.checksum ?? 'none'} />
        <Field label="Queued" value={formatTime(job.createdAt)} />
        <Field label="Started" value={formatTime(job.startedAt)} />
        <Field label="Finished" value={formatTime(job.finishedAt)} />
        <Field label="Elapsed" value={formatDuration(elapsed)} />
        <Field label="Speed" value={job.status === 'uploading' ? formatSpeed(job.speed) : '—'} />
        <Field label="Expires" value={d?.expiresAt ? formatTime(d.expiresAt) : '—'} />
      </dl>
      <h3>Attempt log</h3>
      {d && d.attemptLog.length > 0 ? (
        <ol className="attempt-log" data-testid="attempt-log">
          {d.attemptLog.map((e, i) => (
            <li key={i} className={`log-${e.kind}`}>
              <span className="log-time">{formatTime(e.at)}</span>
              <span className="log-kind">
                #{e.attempt} {e.kind}
              </span>
              <span className="log-message">{e.message}</span>
              {e.delayMs !== undefined ? <span className="log-delay">next try in {formatDuration(e.delayMs / 1000)}</span> : null}
              {e.offset !== undefined ? <span className="log-offset">at {formatBytes(e.offset)}</span> : null}
            </li>
          ))}
        </ol>
      ) : (
        <p className="muted">No attempts yet.</p>
      )}
    </aside>
  );
}

const MOVE_BUTTONS: { move: Move; label: string; icon: 'top' | 'up' | 'down' | 'bottom'; keys: string }[] = [
  { move: 'top', label: 'Move to top', icon: 'top', keys: 'Alt+Home' },
  { move: 'up', label: 'Move up', icon: 'up', keys: 'Alt+ArrowUp' },
  { move: 'down', label: 'Move down', icon: 'down', keys: 'Alt+ArrowDown' },
  { move: 'bottom', label: 'Move to bottom', icon: 'bottom', keys: 'Alt+End' },
];

/**
 * Priority (three radio buttons) and place in the queue (position, move buttons) of the selected job. Re-renders
 * when the job's priority, status or the order changes, not on progress.
 */
function OrderControls({ jobId }: { jobId: string }) {
  const { name, priority, status } = useQueue(
    useShallow((s) => ({ name: s.jobs[jobId]?.name ?? '', priority: s.jobs[jobId]?.priority ?? 0, status: s.jobs[jobId]?.status })),
  );
  const order = useQueue((s) => s.order);
  const batchOf = useQueue((s) => s.batchOf);
  const batchName = useQueue((s) => (s.jobs[jobId]?.batchId ? s.batches[s.jobs[jobId].batchId as string]?.name : undefined));
  if (!status) return null;
  const level = priorityLevel(priority);
  const pos = listPosition(order, (id) => batchOf[id], jobId);
  const movable = canMove(status);
  return (
    <div className="order-controls">
      <fieldset className="segmented priority-choice" data-testid="priority-choice">
        <legend>Priority</legend>
        {PRIORITY_LEVELS.map((l) => (
          <label key={l} className={l === level ? 'active' : undefined}>
            <input
              type="radio"
              name={`priority-${jobId}`}
              value={l}
              checked={l === level}
              onChange={() => void setPriorityLevel({ kind: 'job', id: jobId }, l)}
            />
            {l === 'high' ? 'High' : l === 'low' ? 'Low' : 'Normal'}
          </label>
        ))}
      </fieldset>
      <div className="order-move" role="group" aria-label={`Place of ${name} in the queue`}>
        <span className="muted small" data-field="position">
          {pos ? `${pos.position} of ${pos.of}${batchName ? ` in ${batchName}` : ''}` : ''}
        </span>
        {MOVE_BUTTONS.map((b) => {
          const disabled = !movable || moveTarget(order, (id) => batchOf[id], jobId, b.move) === undefined;
          return (
            <button
              key={b.move}
              type="button"
              className="icon-button"
              data-action={`move-${b.move}`}
              aria-label={`${b.label}: ${name}`}
              aria-keyshortcuts={b.keys}
              title={movable ? b.label : 'Only waiting files can be moved'}
              disabled={disabled}
              onClick={() => void moveJob(jobId, b.move)}
            >
              <Icon name={b.icon} />
            </button>
          );
        })}
      </div>
    </div>
  );
}
