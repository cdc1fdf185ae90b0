import { useVirtualizer } from '@tanstack/react-virtual';
import { useCallback, useMemo, useRef, type KeyboardEvent } from 'react';
import { useApp } from '../state/app';
import { buildRows, useQueue } from '../state/queue';
import { BatchRow } from './BatchRow';
import { JobRow } from './JobRow';

const ROW_HEIGHT = 58;

/**
 * The queue, virtualized: only the visible rows exist in the DOM, so 10,000+ jobs scroll smoothly. It depends on
 * the order, batch membership and expanded folders — never on progress, which only the rows themselves observe.
 * Keyboard: ↑/↓/Home/End move the selection, Enter/Space open a folder or the details, Escape clears the selection.
 */
export function QueueList() {
  const order = useQueue((s) => s.order);
  const batchOf = useQueue((s) => s.batchOf);
  const expanded = useApp((s) => s.expanded);
  const rows = useMemo(() => buildRows(order, (id) => batchOf[id], expanded), [order, batchOf, expanded]);
  const parentRef = useRef<HTMLDivElement>(null);
  // Stable callbacks: the virtualizer recomputes all 10,000 measurements whenever its options change identity.
  const getItemKey = useCallback((i: number) => `${rows[i].kind}:${rows[i].id}`, [rows]);
  const estimateSize = useCallback(() => ROW_HEIGHT, []);
  const getScrollElement = useCallback(() => parentRef.current, []);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement,
    estimateSize,
    overscan: 5,
    getItemKey,
  });
  const cursor = useRef(0);

  const onKeyDown = useCallback(
    (e: KeyboardEvent<HTMLDivElement>) => {
      if (rows.length === 0) return;
      const app = useApp.getState();
      const currentId = app.selectedJobId;
      let index = cursor.current;
      if (currentId) {
        const found = rows.findIndex((r) => r.kind === 'job' && r.id === currentId);
        if (found >= 0) index = found;
      }
      let next = index;
      if (e.key === 'ArrowDown') next = Math.min(rows.length - 1, index + 1);
      else if (e.key === 'ArrowUp') next = Math.max(0, index - 1);
      else if (e.key === 'Home') next = 0;
      else if (e.key === 'End') next = rows.length - 1;
      else if (e.key === 'PageDown') next = Math.min(rows.length - 1, index + 10);
      else if (e.key === 'PageUp') next = Math.max(0, index - 10);
      else if (e.key === 'Enter' || e.key === ' ') {
        const row = rows[index];
        if (row?.kind === 'batch') app.toggleBatch(row.id);
        e.preventDefault();
        return;
      } else if (e.key === 'Escape') {
        app.selectJob(undefined);
        return;
      } else return;
      e.preventDefault();
      cursor.current = next;
      const row = rows[next];
      app.selectJob(row.kind === 'job' ? row.id : undefined);
      virtualizer.scrollToIndex(next, { align: 'auto' });
    },
    [rows, virtualizer],
  );

  const selectedId = useApp((s) => s.selectedJobId);
  return (
    <div
      ref={parentRef}
      className="queue-scroll"
      role="list"
      aria-label="Upload queue"
      aria-rowcount={rows.length}
      tabIndex={0}
      onKeyDown={onKeyDown}
      aria-activedescendant={selectedId ? `row-${selectedId}` : undefined}
      data-testid="queue-list"
    >
      <div className="queue-inner" style={{ height: virtualizer.getTotalSize() }}>
        {virtualizer.getVirtualItems().map((item) => {
          const row = rows[item.index];
          return (
            <div
              key={item.key}
              className="queue-slot"
              style={{ transform: `translateY(${item.start}px)`, height: item.size }}
            >
              {row.kind === 'batch' ? (
                <BatchRow id={row.id} index={item.index} />
              ) : (
                <JobRow id={row.id} nested={row.nested} index={item.index} />
              )}
            </div>
          );
        })}
      </div>
    </div>
  );
}
