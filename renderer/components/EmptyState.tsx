import { useApp } from '../state/app';
import { Icon } from './Icon';
import { AddButtons } from './AddButtons';

/** The first thing a newcomer sees: what Tusk does and the one step to take. */
export function EmptyState() {
  const hasProfile = useApp((s) => s.profiles.length > 0);
  const setView = useApp((s) => s.setView);
  return (
    <section className="empty-state" aria-labelledby="empty-title">
      <div className="empty-art" aria-hidden="true">
        <Icon name="upload" size={44} />
      </div>
      <h2 id="empty-title">Drop files or folders here to upload them</h2>
      <p>
        Tusk sends them to your tus server and keeps going in the background. If the network drops or the computer
        restarts, uploads resume where they stopped.
      </p>
      {hasProfile ? (
        <AddButtons large />
      ) : (
        <>
          <p className="empty-hint">First, tell Tusk where to upload: add a server.</p>
          <button type="button" className="button primary" onClick={() => setView('servers')}>
            <Icon name="plus" /> Add a server
          </button>
        </>
      )}
    </section>
  );
}
