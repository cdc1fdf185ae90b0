import { useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent } from 'react';
import { createPortal } from 'react-dom';
import { moveJob, setPriorityLevel } from '../state/actions';
import { useApp, type RowMenu as RowMenuState } from '../state/app';
import { batchMembers, useQueue } from '../state/queue';
import { canMove, commonLevel, moveTarget, priorityLevel, PRIORITY_LEVELS, type Move, type PriorityLevel } from '../state/reorder';

interface Item {
  key: string;
  label: string;
  /** For the priority items: whether this is the current level. */
  checked?: boolean;
  disabled?: boolean;
  /** Keyboard shortcut shown to the right (and in `aria-keyshortcuts`). */
  keys?: string;
  run: () => unknown;
}

const LEVEL_LABEL: Record<PriorityLevel, string> = { high: 'High', normal: 'Normal', low: 'Low' };
const MOVES: { move: Move; label: string; keys: string; aria: string }[] = [
  { move: 'top', label: 'Move to top', keys: 'Alt+Home', aria: 'Alt+Home' },
  { move: 'up', label: 'Move up', keys: 'Alt+↑', aria: 'Alt+ArrowUp' },
  { move: 'down', label: 'Move down', keys: 'Alt+↓', aria: 'Alt+ArrowDown' },
  { move: 'bottom', label: 'Move to bottom', keys: 'Alt+End', aria: 'Alt+End' },
];

function focusList(): void {
  document.querySelector<HTMLElement>('[data-testid=queue-list]')?.focus();
}

/** The items of the open menu, read from the stores when it opens (a menu is short-lived). */
function menuItems(menu: RowMenuState): { title: string; groups: Item[][] } {
  const q = useQueue.getState();
  if (menu.kind === 'job') {
    const job = q.jobs[menu.id];
    if (!job) return { title: '', groups: [] };
    const movable = canMove(job.status);
    const level = priorityLevel(job.priority);
    return {
      title: job.name,
      groups: [
        MOVES.map((m) => ({
          key: m.move,
          label: m.label,
          keys: m.aria,
          disabled: !movable || moveTarget(q.order, (id) => q.batchOf[id], job.id, m.move) === undefined,
          run: () => moveJob(job.id, m.move),
        })),
        PRIORITY_LEVELS.map((l) => ({
          key: `priority-${l}`,
          label: `${LEVEL_LABEL[l]} priority`,
          checked: l === level,
          run: () => setPriorityLevel({ kind: 'job', id: job.id }, l),
        })),
      ],
    };
  }
  const batch = q.batches[menu.id];
  if (!batch) return { title: '', groups: [] };
  const level = commonLevel((batchMembers(q.batchOf).get(batch.id) ?? []).map((id) => q.jobs[id]?.priority ?? 0));
  return {
    title: `folder ${batch.name}`,
    groups: [
      PRIORITY_LEVELS.map((l) => ({
        key: `priority-${l}`,
        label: `${LEVEL_LABEL[l]} priority for all files`,
        checked: l === level,
        run: () => setPriorityLevel({ kind: 'batch', id: batch.id }, l),
      })),
    ],
  };
}

/**
 * The row menu (a context menu: right-click a row, its "More actions" button, or Shift+F10 / the Menu key on the
 * selected row): move a waiting file and set the priority of a file or a whole folder. A WAI-ARIA menu: ↑/↓/Home/End
 * move between items, Enter/Space choose, Escape or Tab close; focus goes back to the list so the moved row stays
 * the active one. Rendered into <body> because the list's rows are clipped (`contain: strict`).
 */
export function RowMenu() {
  const menu = useApp((s) => s.menu);
  if (!menu) return null;
  return createPortal(<OpenMenu key={`${menu.kind}:${menu.id}:${menu.x}:${menu.y}`} menu={menu} />, document.body);
}

function OpenMenu({ menu }: { menu: RowMenuState }) {
  const [{ title, groups }] = useState(() => menuItems(menu));
  const ref = useRef<HTMLDivElement>(null);
  const [pos, setPos] = useState({ left: menu.x, top: menu.y });
  const close = (refocus: 'opener' | 'list'): void => {
    useApp.getState().openMenu(undefined);
    if (refocus === 'list' || !menu.opener?.isConnected) focusList();
    else menu.opener.focus();
  };

  // Keep it inside the window, then focus the first item that can be used.
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const r = el.getBoundingClientRect();
    let { x, y } = menu;
    const o = menu.underOpener && menu.opener?.isConnected ? menu.opener.getBoundingClientRect() : undefined;
    if (o) {
      // Right-aligned under its button; above it when there is no room below.
      x = o.right - r.width;
      y = o.bottom + r.height + 6 > window.innerHeight ? o.top - r.height - 2 : o.bottom + 2;
    }
    setPos({
      left: Math.max(4, Math.min(x, window.innerWidth - r.width - 4)),
      top: Math.max(4, Math.min(y, window.innerHeight - r.height - 4)),
    });
    el.querySelector<HTMLElement>('[role^=menuitem]:not([aria-disabled=true])')?.focus();
  }, [menu]);

  useEffect(() => {
    const onPointer = (e: PointerEvent): void => {
      if (!ref.current?.contains(e.target as Node)) useApp.getState().openMenu(undefined);
    };
    const onBlur = (): void => useApp.getState().openMenu(undefined);
    document.addEventListener('pointerdown', onPointer, true);
    window.addEventListener('blur', onBlur);
    window.addEventListener('resize', onBlur);
    // The list scrolling would leave the menu pointing at another row.
    document.addEventListener('scroll', onBlur, true);
    return () => {
      document.removeEventListener('scroll', onBlur, true);
      document.removeEventListener('pointerdown', onPointer, true);
      window.removeEventListener('blur', onBlur);
      window.removeEventListener('resize', onBlur);
    };
  }, []);

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>): void => {
    const nodes = Array.from(ref.current?.querySelectorAll<HTMLElement>('[role^=menuitem]') ?? []);
    const at = nodes.indexOf(document.activeElement as HTMLElement);
    let next = -1;
    if (e.key === 'ArrowDown') next = (at + 1) % nodes.length;
    else if (e.key === 'ArrowUp') next = (at - 1 + nodes.length) % nodes.length;
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = nodes.length - 1;
    else if (e.key === 'Escape' || e.key === 'Tab') {
      e.preventDefault();
      close('opener');
      return;
    } else return;
    e.preventDefault();
    nodes[next]?.focus();
  };

  const choose = (item: Item): void => {
    if (item.disabled) return;
    close('list');
    void item.run();
  };

  return (
    <div
      ref={ref}
      className="menu"
      role="menu"
      aria-label={`Actions for ${title}`}
      style={{ left: pos.left, top: pos.top }}
      onKeyDown={onKeyDown}
      onContextMenu={(e) => e.preventDefault()}
      data-testid="row-menu"
    >
      {groups.map((group, g) => (
        <div key={g} role="group" className="menu-group">
          {g > 0 ? <div role="separator" className="menu-separator" /> : null}
          {group.map((item) => (
            <div
              key={item.key}
              role={item.checked === undefined ? 'menuitem' : 'menuitemradio'}
              aria-checked={item.checked === undefined ? undefined : item.checked}
              aria-disabled={item.disabled ? true : undefined}
              aria-keyshortcuts={item.keys}
              tabIndex={-1}
              className="menu-item"
              data-item={item.key}
              onClick={() => choose(item)}
              onKeyDown={(e) => {
                if (e.key === 'Enter' || e.key === ' ') {
                  e.preventDefault();
                  choose(item);
                }
              }}
            >
              <span className="menu-check" aria-hidden="true">
                {item.checked ? '✓' : ''}
              </span>
              <span className="menu-label">{item.label}</span>
              {item.keys ? (
                <span className="menu-keys" aria-hidden="true">
                  {MOVES.find((m) => m.aria === item.keys)?.keys}
                </span>
              ) : null}
            </div>
          ))}
        </div>
      ))}
    </div>
  );
}
