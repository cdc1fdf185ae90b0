import type { JobView } from '../../shared/types';
import { api } from '../bridge';
import { act, attempt, succeeded } from '../state/actions';
import { useApp } from '../state/app';
import { Icon, type IconName } from './Icon';

interface Action {
  key: string;
  label: string;
  icon: IconName;
  run: () => unknown;
}

/** The actions that make sense for a job in its current state. */
export function jobActions(job: Pick<JobView, 'id' | 'status' | 'uploadUrl' | 'resultUrl'>): Action[] {
  const target = { kind: 'job' as const, id: job.id };
  const list: Action[] = [];
  const s = job.status;
  if (s === 'queued' || s === 'uploading' || s === 'retrying')
    list.push({ key: 'pause', label: 'Pause', icon: 'pause', run: () => act('pause', target) });
  if (s === 'paused') list.push({ key: 'resume', label: 'Resume', icon: 'play', run: () => act('resume', target) });
  if (s === 'failed' || s === 'cancelled')
    list.push({ key: 'retry', label: 'Retry', icon: 'retry', run: () => act('retry', target) });
  if (s === 'queued' || s === 'uploading' || s === 'retrying' || s === 'paused')
    list.push({ key: 'cancel', label: 'Cancel', icon: 'cancel', run: () => act('cancel', target) });
  if (job.uploadUrl || job.resultUrl) {
    const which = job.resultUrl && s === 'completed' ? 'result' : 'upload';
    list.push({
      key: 'copy',
      label: which === 'result' ? 'Copy result URL' : 'Copy upload URL',
      icon: 'link',
      run: async () => {
        if (await succeeded('Copying the URL', () => api().copyUploadUrl({ jobId: job.id, which })))
          useApp.getState().toast('info', which === 'result' ? 'Result URL copied' : 'Upload URL copied');
      },
    });
  }
  list.push({
    key: 'reveal',
    label: 'Show file in folder',
    icon: 'folder',
    run: () => attempt('Showing the file', () => api().revealFile(job.id)),
  });
  if (s === 'completed' || s === 'failed' || s === 'cancelled' || s === 'paused' || s === 'queued')
    list.push({ key: 'remove', label: 'Remove from queue', icon: 'trash', run: () => act('remove', target) });
  return list;
}

/** Opens the row menu (move, priority) under a button or at a pointer. */
export function openRowMenu(
  kind: 'job' | 'batch',
  id: string,
  at: { x: number; y: number },
  opener?: HTMLElement | null,
  underOpener = false,
): void {
  const app = useApp.getState();
  if (kind === 'job') app.selectJob(id);
  app.openMenu({ kind, id, x: at.x, y: at.y, opener, underOpener });
}

/** The "More actions" button that opens the row menu. */
export function MoreButton({ kind, id, name }: { kind: 'job' | 'batch'; id: string; name: string }) {
  const open = useApp((s) => s.menu?.kind === kind && s.menu.id === id);
  return (
    <button
      type="button"
      className="icon-button"
      data-action="more"
      aria-label={`More actions for ${name}`}
      aria-haspopup="menu"
      aria-expanded={open}
      title="Move, priority…"
      onClick={(e) => {
        e.stopPropagation();
        const r = e.currentTarget.getBoundingClientRect();
        openRowMenu(kind, id, { x: r.right, y: r.bottom + 2 }, e.currentTarget, true);
      }}
    >
      <Icon name="more" />
    </button>
  );
}

/** Icon buttons for a job's actions; each has an accessible name and a tooltip. `menu` adds the "More actions" button. */
export function JobActions({
  job,
  name,
  menu = false,
}: {
  job: Pick<JobView, 'id' | 'status' | 'uploadUrl' | 'resultUrl'>;
  name: string;
  menu?: boolean;
}) {
  return (
    <div className="row-actions" role="group" aria-label={`Actions for ${name}`}>
      {jobActions(job).map((a) => (
        <button
          key={a.key}
          type="button"
          className="icon-button"
          data-action={a.key}
          aria-label={`${a.label} ${name}`}
          title={a.label}
          onClick={(e) => {
            e.stopPropagation();
            void a.run();
          }}
        >
          <Icon name={a.icon} />
        </button>
      ))}
      {menu ? <MoreButton kind="job" id={job.id} name={name} /> : null}
    </div>
  );
}
