import { useState } from 'react';
import type { Settings } from '../../shared/types';
import { api } from '../bridge';
import { formatSpeed, parseBandwidth } from '../format';
import { attempt, succeeded } from '../state/actions';
import { useApp } from '../state/app';
import { useQueue } from '../state/queue';

/** App settings. Each change is saved at once (and confirmed by the `settings:changed` event). */
export function SettingsView() {
  const settings = useApp((s) => s.settings);
  const setSettings = useApp((s) => s.setSettings);
  // The queue's limit is the live one (the status bar can change it too).
  const limit = useQueue((s) => s.bandwidthLimit);
  const [bw, setBw] = useState<string | undefined>();
  const [bwProblem, setBwProblem] = useState<string | undefined>();
  if (!settings) return <div className="loading">Loading settings…</div>;
  const update = async (patch: Partial<Settings>): Promise<void> => {
    const next = await attempt('Saving settings', () => api().updateSettings(patch));
    if (next) setSettings(next);
  };
  const toggle = (key: 'startAtLogin' | 'startHidden' | 'notifications' | 'keepAwake' | 'closeToTray', label: string, help: string) => (
    <label className="check setting">
      <input type="checkbox" checked={settings[key]} onChange={(e) => void update({ [key]: e.target.checked })} />
      <span>
        <strong>{label}</strong>
        <span className="muted small">{help}</span>
      </span>
    </label>
  );
  return (
    <div className="settings-view">
      <section aria-labelledby="set-uploads">
        <h2 id="set-uploads">Uploads</h2>
        <div className="form-grid">
          <label>
            Uploads at once
            <input
              type="number"
              min={1}
              max={64}
              value={settings.concurrency}
              onChange={(e) => {
                const n = Math.round(Number(e.target.value));
                if (n >= 1 && n <= 64) void update({ concurrency: n });
              }}
            />
          </label>
          <form
            className="inline-form"
            onSubmit={(e) => {
              e.preventDefault();
              const value = parseBandwidth(bw ?? '');
              if (value === undefined) {
                setBwProblem('Write a speed with a unit, such as 500 KB or 2 MB (per second), or 0 for unlimited.');
                return;
              }
              setBwProblem(undefined);
              setBw(undefined);
              void succeeded('Setting the bandwidth limit', () => api().setBandwidthLimit(value)).then((ok) => {
                if (ok) useQueue.setState({ bandwidthLimit: value });
              });
            }}
          >
            <label>
              Bandwidth limit (per second)
              <input
                value={bw ?? (limit > 0 ? formatSpeed(limit).replace('/s', '') : 'unlimited')}
                onChange={(e) => setBw(e.target.value)}
                aria-invalid={bwProblem ? true : undefined}
              />
            </label>
            <button type="submit" className="button small">
              Set
            </button>
            {bwProblem ? (
              <span className="field-error" role="alert">
                {bwProblem}
              </span>
            ) : null}
          </form>
        </div>
      </section>
      <section aria-labelledby="set-app">
        <h2 id="set-app">App</h2>
        {toggle('startAtLogin', 'Start at login', 'Tusk starts with your computer and resumes unfinished uploads.')}
        {toggle('startHidden', 'Start hidden', 'Start in the tray without opening the window.')}
        {toggle('closeToTray', 'Close to tray', 'Closing the window keeps uploads going in the background.')}
        {toggle('notifications', 'Notifications', 'Tell me when a batch finishes or uploads fail.')}
        {toggle('keepAwake', 'Keep the computer awake', 'Prevent sleep while uploads run.')}
      </section>
      <section aria-labelledby="set-look">
        <h2 id="set-look">Appearance</h2>
        <div className="segmented" role="radiogroup" aria-label="Theme">
          {(['system', 'light', 'dark'] as const).map((t) => (
            <label key={t} className={settings.theme === t ? 'active' : undefined}>
              <input type="radio" name="theme" value={t} checked={settings.theme === t} onChange={() => void update({ theme: t })} />
              {t === 'system' ? 'Follow system' : t === 'light' ? 'Light' : 'Dark'}
            </label>
          ))}
        </div>
      </section>
    </div>
  );
}
