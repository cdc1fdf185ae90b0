import { useEffect, useState } from 'react';
import { errorMessage } from './bridge';
import { DropOverlay } from './components/DropOverlay';
import { HistoryView } from './components/HistoryView';
import { QueueView } from './components/QueueView';
import { ServersView } from './components/ServersView';
import { SettingsView } from './components/SettingsView';
import { StatusBar } from './components/StatusBar';
import { Toasts } from './components/Toasts';
import { Toolbar } from './components/Toolbar';
import { connect } from './state/actions';
import { useApp } from './state/app';

/** Light or dark, from `Settings.theme` or else the system. Sets `data-theme` on <html> for the CSS variables. */
function useTheme(): 'light' | 'dark' {
  const choice = useApp((s) => s.settings?.theme ?? 'system');
  const [systemDark, setSystemDark] = useState(() => window.matchMedia('(prefers-color-scheme: dark)').matches);
  useEffect(() => {
    const mq = window.matchMedia('(prefers-color-scheme: dark)');
    const on = (e: MediaQueryListEvent): void => setSystemDark(e.matches);
    mq.addEventListener('change', on);
    return () => mq.removeEventListener('change', on);
  }, []);
  const theme = choice === 'system' ? (systemDark ? 'dark' : 'light') : choice;
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);
  return theme;
}

/** The window. */
export function App() {
  const view = useApp((s) => s.view);
  const theme = useTheme();
  const [fatal, setFatal] = useState<string | undefined>();
  useEffect(() => {
    let off: (() => void) | undefined;
    let live = true;
    connect()
      .then((unsubscribe) => {
        if (live) off = unsubscribe;
        else unsubscribe();
      })
      .catch((err: unknown) => setFatal(errorMessage(err)));
    return () => {
      live = false;
      off?.();
    };
  }, []);
  if (fatal) {
    return (
      <main className="fatal" role="alert">
        <h1>Tusk could not start its window</h1>
        <p>{fatal}</p>
        <p className="muted">Restart Tusk. If this keeps happening, run `tusk status` in a terminal to see the queue.</p>
      </main>
    );
  }
  return (
    <div className="app">
      <Toolbar />
      <main id="view" className={`view view-${view}`} role="tabpanel" aria-labelledby={`tab-${view}`}>
        {view === 'queue' ? (
          <QueueView themeKey={theme} />
        ) : view === 'history' ? (
          <HistoryView />
        ) : view === 'servers' ? (
          <ServersView />
        ) : (
          <SettingsView />
        )}
      </main>
      <StatusBar />
      <DropOverlay />
      <Toasts />
    </div>
  );
}
