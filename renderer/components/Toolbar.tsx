import { useShallow } from 'zustand/react/shallow';
import { act, attempt } from '../state/actions';
import { api } from '../bridge';
import { useApp, type View } from '../state/app';
import { AddButtons } from './AddButtons';
import { Icon } from './Icon';

const TABS: { view: View; label: string }[] = [
  { view: 'queue', label: 'Queue' },
  { view: 'history', label: 'History' },
  { view: 'servers', label: 'Servers' },
  { view: 'settings', label: 'Settings' },
];

/** Top bar: the app's name, views, the profile uploads go to, add buttons and queue-wide actions. */
export function Toolbar() {
  const { view, setView, profiles, profileId, selectProfile } = useApp(
    useShallow((s) => ({
      view: s.view,
      setView: s.setView,
      profiles: s.profiles,
      profileId: s.profileId,
      selectProfile: s.selectProfile,
    })),
  );
  const all = { kind: 'all' as const };
  return (
    <header className="toolbar">
      <div className="toolbar-row">
        <div className="brand" aria-label="Tusk">
          <span className="brand-mark" aria-hidden="true">
            <Icon name="upload" size={18} />
          </span>
          Tusk
        </div>
        <nav className="tabs" role="tablist" aria-label="Views">
          {TABS.map((t) => (
            <button
              key={t.view}
              type="button"
              role="tab"
              id={`tab-${t.view}`}
              aria-selected={view === t.view}
              aria-controls="view"
              className={`tab${view === t.view ? ' active' : ''}`}
              onClick={() => setView(t.view)}
            >
              {t.label}
            </button>
          ))}
        </nav>
        <span className="spacer" />
        <label className="profile-select">
          <span>Upload to</span>
          <select
            value={profileId ?? ''}
            onChange={(e) => selectProfile(e.target.value || undefined)}
            aria-label="Server profile for new uploads"
            disabled={profiles.length === 0}
          >
            {profiles.length === 0 ? <option value="">No server yet</option> : null}
            {profiles.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
      </div>
      {view === 'queue' ? (
        <div className="toolbar-row actions-row">
          <AddButtons />
          <span className="spacer" />
          <button type="button" className="button ghost" data-action="pause-all" onClick={() => void act('pause', all)}>
            <Icon name="pause" /> Pause all
          </button>
          <button type="button" className="button ghost" data-action="resume-all" onClick={() => void act('resume', all)}>
            <Icon name="play" /> Resume all
          </button>
          <button
            type="button"
            className="button ghost"
            data-action="clear-finished"
            onClick={() => void attempt('Clearing finished uploads', () => api().clearFinished())}
          >
            <Icon name="broom" /> Clear finished
          </button>
        </div>
      ) : null}
    </header>
  );
}
