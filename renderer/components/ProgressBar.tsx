import { formatPercent, progressFraction } from '../format';

/** A progress bar with ARIA values; `tone` colours it by status. */
export function ProgressBar({
  offset,
  size,
  completed,
  tone,
  label,
}: {
  offset: number;
  size: number;
  completed: boolean;
  tone: string;
  label: string;
}) {
  const fraction = progressFraction(offset, size, completed);
  return (
    <div
      className={`progress tone-${tone}`}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={Math.round(fraction * 1000) / 10}
      aria-valuetext={formatPercent(fraction, completed)}
    >
      <div className="progress-fill" style={{ transform: `scaleX(${fraction})` }} />
    </div>
  );
}
