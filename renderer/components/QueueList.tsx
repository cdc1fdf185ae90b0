import { useVirtualizer } from '@tanstack/react-virtual';
import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent, type KeyboardEvent } from 'react';
import { moveJob, positionWords, reorderJob } from '../state/actions';
import { useApp } from '../state/app';
import { buildRows, useQueue } from '../state/queue';
import { dropTarget, listPosition, type Move } from '../state/reorder';
import { BatchRow } from './BatchRow';
import { openRowMenu } from './JobActions';
import { JobRow, JOB_DRAG_TYPE } from './JobRow';

const ROW_HEIGHT = 58;

const ALT_MOVES: Record<string, Move> = { ArrowUp: 'up', ArrowDown: 'down', Home: 'top', End: 'bottom' };

function isJobDrag(e: DragEvent): boolean {
  return Array.from(e.dataTransfer.types).includes(JOB_DRAG_TYPE);
}

/**
 * The queue, virtualized: only the visible rows exist in the DOM, so 10,000+ jobs scroll smoothly. It depends on
 * the order, batch membership and expanded folders — never on progress, which only the rows themselves observe.
 * Keyboard: ↑/↓/Home/End move the selection, Enter/Space open a folder or the details, Escape clears the selection;
 * Alt+↑/↓/Home/End move the selected (waiting) file, Shift+F10 or the Menu key open its menu. Rows can be dragged
 * to a new place: rows have one fixed height, so the gap under the pointer is plain arithmetic on the scroll offset.
 * Moves and priority changes are announced in a polite live region once the engine's new order arrives.
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
  const [dropGap, setDropGap] = useState<number | undefined>();
  const dragged = useRef<string | undefined>(undefined);

  // After a move or a priority change: once the new order is here, scroll to the job and say where it went.
  const follow = useApp((s) => s.follow);
  useEffect(() => {
    if (!follow) return;
    const pos = listPosition(order, (id) => batchOf[id], follow.jobId);
    if (!pos || pos.position === follow.from) return;
    const app = useApp.getState();
    app.setFollow(undefined);
    const index = rows.findIndex((r) => r.kind === 'job' && r.id === follow.jobId);
    if (index >= 0) {
      cursor.current = index;
      virtualizer.scrollToIndex(index, { align: 'auto' });
    }
    const name = useQueue.getState().jobs[follow.jobId]?.name ?? 'The file';
    app.announce(`${name} moved to ${positionWords(follow.jobId) ?? 'a new place'}.`);
  }, [follow, order, batchOf, rows, virtualizer]);

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
      if (e.altKey && ALT_MOVES[e.key]) {
        e.preventDefault();
        if (currentId) void moveJob(currentId, ALT_MOVES[e.key]);
        else if (rows[index]?.kind === 'batch')
          app.announce('A folder moves by its priority: Shift+F10 opens its menu. Open it (Enter) to move its files.');
        else app.announce('Select a file first (↑/↓), then Alt+↑/↓ moves it.');
        return;
      }
      if (e.key === 'ContextMenu' || (e.shiftKey && e.key === 'F10')) {
        e.preventDefault();
        const row = rows[index];
        const el = row ? document.getElementById(`row-${row.id}`) : null;
        const r = el?.getBoundingClientRect() ?? parentRef.current?.getBoundingClientRect();
        if (row && r) openRowMenu(row.kind, row.id, { x: r.left + 40, y: r.top + r.height / 2 }, parentRef.current);
        return;
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

  /** The gap (0…rows.length) nearest the pointer, from the scroll offset: rows all have ROW_HEIGHT. */
  const gapAt = (e: DragEvent<HTMLDivElement>): number => {
    const el = parentRef.current;
    if (!el) return 0;
    const y = e.clientY - el.getBoundingClientRect().top + el.scrollTop;
    return Math.max(0, Math.min(rows.length, Math.round(y / ROW_HEIGHT)));
  };
  const dropIndex = (jobId: string, gap: number): number | undefined => {
    const q = useQueue.getState();
    return dropTarget(rows, q.order, (id) => q.batchOf[id], jobId, gap);
  };
  const onDragStart = (e: DragEvent<HTMLDivElement>): void => {
    const id = (e.target as HTMLElement).closest<HTMLElement>('[data-job-id]')?.dataset.jobId;
    dragged.current = id;
  };
  const onDragOver = (e: DragEvent<HTMLDivElement>): void => {
    if (!isJobDrag(e) || !dragged.current) return;
    const gap = gapAt(e);
    if (dropIndex(dragged.current, gap) === undefined) {
      e.dataTransfer.dropEffect = 'none';
      setDropGap(undefined);
      return;
    }
    e.preventDefault();
    e.dataTransfer.dropEffect = 'move';
    setDropGap(gap);
  };
  const onDrop = (e: DragEvent<HTMLDivElement>): void => {
    if (!isJobDrag(e)) return;
    e.preventDefault();
    e.stopPropagation();
    const jobId = e.dataTransfer.getData(JOB_DRAG_TYPE) || dragged.current;
    setDropGap(undefined);
    dragged.current = undefined;
    if (!jobId) return;
    const to = dropIndex(jobId, gapAt(e));
    if (to !== undefined) {
      parentRef.current?.focus();
      void reorderJob(jobId, to);
    }
  };
  const onDragEnd = (): void => {
    dragged.current = undefined;
    setDropGap(undefined);
  };

  const selectedId = useApp((s) => s.selectedJobId);
  const announcement = useApp((s) => s.announcement);
  return (
    <>
      <div
        ref={parentRef}
        className="queue-scroll"
        role="list"
        aria-label="Upload queue"
        aria-rowcount={rows.length}
        aria-keyshortcuts="Alt+ArrowUp Alt+ArrowDown Alt+Home Alt+End Shift+F10"
        tabIndex={0}
        onKeyDown={onKeyDown}
        onDragStart={onDragStart}
        onDragOver={onDragOver}
        onDrop={onDrop}
        onDragEnd={onDragEnd}
        onDragLeave={(e) => {
          if (!parentRef.current?.contains(e.relatedTarget as Node | null)) setDropGap(undefined);
        }}
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
          {dropGap !== undefined ? (
            <div className="drop-line" data-testid="drop-line" style={{ transform: `translateY(${dropGap * ROW_HEIGHT - 1}px)` }} />
          ) : null}
        </div>
      </div>
      <div className="sr-only" role="status" aria-live="polite" aria-atomic="true" data-testid="queue-announcer">
        <span key={announcement.n}>{announcement.text}</span>
      </div>
    </>
  );
}
