import type { JobView } from '../../shared/types';
import { Countdown } from './Countdown';

/** What a chip says for each status. */
export const STATUS_LABEL: Record<JobView['status'] | 'source-changed', string> = {
  queued: 'Queued',
  uploading: 'Uploading',
  paused: 'Paused',
  retrying: 'Waiting to retry',
  failed: 'Failed',
  completed: 'Completed',
  cancelled: 'Cancelled',
  'source-changed': 'Source changed',
};

/** The status of a job as a coloured chip; retries show a countdown and the attempt, failures their reason. */
export function StatusChip({
  status,
  attempt,
  nextAttemptAt,
  errorMessage,
  sourceChanged,
}: Pick<JobView, 'status' | 'attempt' | 'nextAttemptAt' | 'sourceChanged'> & { errorMessage?: string }) {
  if (status === 'retrying') {
    return (
      <span className="chip tone-retrying" data-status="retrying" title={errorMessage}>
        Waiting to retry{nextAttemptAt !== undefined ? <> in <Countdown at={nextAttemptAt} /></> : null}
        <span className="chip-sub"> · attempt {attempt + 1}</span>
      </span>
    );
  }
  if (status === 'failed') {
    return (
      <span className="chip tone-failed" data-status="failed" title={errorMessage}>
        Failed{errorMessage ? <span className="chip-sub">: {errorMessage}</span> : null}
      </span>
    );
  }
  const shown = sourceChanged && status !== 'completed' ? 'source-changed' : status;
  return (
    <span className={`chip tone-${shown}`} data-status={status}>
      {STATUS_LABEL[shown]}
      {sourceChanged && status === 'completed' ? <span className="chip-sub"> · source changed</span> : null}
    </span>
  );
}
