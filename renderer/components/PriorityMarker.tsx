import { priorityLevel, type PriorityLevel } from '../state/reorder';

const TEXT: Record<PriorityLevel, string> = { high: 'High', normal: 'Normal', low: 'Low' };

/**
 * A small marker of a non-normal priority next to a name ("High" / "Low"; a folder whose files differ shows "Mixed").
 * Normal shows nothing: most rows are normal and a marker on each would be noise.
 */
export function PriorityMarker({ priority, level }: { priority?: number; level?: PriorityLevel | 'mixed' }) {
  const l = level ?? (priority === undefined ? 'normal' : priorityLevel(priority));
  if (l === 'normal') return null;
  const text = l === 'mixed' ? 'Mixed' : TEXT[l];
  return (
    <span className={`prio prio-${l}`} data-field="priority" title={`${text} priority`}>
      <span aria-hidden="true">{l === 'high' ? '↑' : l === 'low' ? '↓' : '↕'}</span>
      {text}
      <span className="sr-only"> priority</span>
    </span>
  );
}
