import { useEffect, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { ServerProfile } from '../../shared/types';
import { api } from '../bridge';
import { checkServer, refreshProfiles, succeeded } from '../state/actions';
import { useApp } from '../state/app';
import { CapabilitiesPanel } from './CapabilitiesPanel';
import { Icon } from './Icon';
import { ProfileEditor } from './ProfileEditor';

/** Server profiles: the list, what the selected server can do, and add/edit/remove. */
export function ServersView() {
  const { profiles, profileId, selectProfile, capabilities, checking } = useApp(
    useShallow((s) => ({
      profiles: s.profiles,
      profileId: s.profileId,
      selectProfile: s.selectProfile,
      capabilities: s.capabilities,
      checking: s.checking,
    })),
  );
  // Which profile is shown here is separate from where new uploads go (the toolbar), but starts there.
  const [shownId, setShownId] = useState(profileId);
  const [editing, setEditing] = useState<ServerProfile | 'new' | undefined>(profiles.length === 0 ? 'new' : undefined);
  const current = profiles.find((p) => p.id === shownId) ?? profiles.find((p) => p.id === profileId);
  useEffect(() => {
    if (current && capabilities[current.id] === undefined && !checking[current.id]) void checkServer(current.id);
    // Only when the shown profile changes; a refresh is explicit.
  }, [current?.id]);
  return (
    <div className="servers-view">
      <nav className="profile-list" aria-label="Server profiles">
        <ul>
          {profiles.map((p) => (
            <li key={p.id}>
              <button
                type="button"
                className={`profile-item${p.id === current?.id ? ' active' : ''}`}
                aria-current={p.id === current?.id ? 'true' : undefined}
                onClick={() => {
                  setShownId(p.id);
                  setEditing(undefined);
                }}
              >
                <strong>{p.name}</strong>
                <span className="mono small">{p.endpoint}</span>
              </button>
            </li>
          ))}
        </ul>
        <button type="button" className="button" onClick={() => setEditing('new')} data-action="add-profile">
          <Icon name="plus" /> Add server
        </button>
      </nav>
      <div className="servers-main">
        {editing ? (
          <ProfileEditor
            key={editing === 'new' ? 'new' : editing.id}
            profile={editing === 'new' ? undefined : editing}
            onDone={(saved) => {
              setEditing(undefined);
              if (saved) {
                setShownId(saved.id);
                // A first server becomes the upload target at once.
                if (!profileId) selectProfile(saved.id);
                void checkServer(saved.id);
              }
            }}
          />
        ) : current ? (
          <>
            <header className="section-head">
              <div>
                <h2>{current.name}</h2>
                <p className="mono small muted">{current.endpoint}</p>
              </div>
              <div className="form-actions">
                <button type="button" className="button" onClick={() => setEditing(current)}>
                  Edit
                </button>
                {!current.builtIn ? (
                  <button
                    type="button"
                    className="button danger"
                    onClick={async () => {
                      if (!window.confirm(`Remove the server "${current.name}"? Uploads already queued to it stay in the queue.`)) return;
                      if (await succeeded('Removing the server', () => api().deleteProfile(current.id))) await refreshProfiles();
                    }}
                  >
                    Remove
                  </button>
                ) : null}
              </div>
            </header>
            <CapabilitiesPanel caps={capabilities[current.id]} checking={!!checking[current.id]} onRefresh={() => void checkServer(current.id)} />
          </>
        ) : (
          <p className="muted">Add a server to start uploading.</p>
        )}
      </div>
    </div>
  );
}
