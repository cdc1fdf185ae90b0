import type { JobView } from '../../shared/types';
import { StatusChip } from './StatusChip';

/** A job's status chip, fed from the job itself (its last error is the chip's reason). */
export function JobStatusChip({ job }: { job: JobView }) {
  return (
    <StatusChip
      status={job.status}
      attempt={job.attempt}
      nextAttemptAt={job.nextAttemptAt}
      sourceChanged={job.sourceChanged}
      errorMessage={job.lastError?.message}
    />
  );
}
