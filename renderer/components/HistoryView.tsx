import { useEffect, useState } from 'react';
import type { HistoryEntry } from '../../shared/types';
import { api } from '../bridge';
import { formatBytes, formatDuration, formatSpeed, formatTime } from '../format';
import { attempt } from '../state/actions';
import { useApp } from '../state/app';
import { useQueue } from '../state/queue';

/** Finished uploads, newest first, with a filter and export to CSV or JSON. */
export function HistoryView() {
  const [search, setSearch] = useState('');
  const [entries, setEntries] = useState<HistoryEntry[] | undefined>();
  const filesDone = useQueue((s) => s.totals.filesDone);
  const toast = useApp((s) => s.toast);
  useEffect(() => {
    let live = true;
    const timer = setTimeout(() => {
      void attempt('Loading history', () => api().getHistory({ search: search.trim() || undefined, limit: 1000 })).then((h) => {
        if (live && h) setEntries(h);
      });
    }, 150);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [search, filesDone]);
  const exportAs = async (format: 'csv' | 'json'): Promise<void> => {
    const path = await attempt('Exporting history', () => api().saveHistoryExport({ format }));
    if (path) toast('info', `History saved to ${path}`);
  };
  return (
    <div className="history-view">
      <header className="section-head">
        <label className="search">
          <span className="sr-only">Filter history</span>
          <input type="search" placeholder="Filter by name, path or URL" value={search} onChange={(e) => setSearch(e.target.value)} />
        </label>
        <div className="form-actions">
          <button type="button" className="button" data-action="export-csv" onClick={() => void exportAs('csv')}>
            Export CSV
          </button>
          <button type="button" className="button" data-action="export-json" onClick={() => void exportAs('json')}>
            Export JSON
          </button>
        </div>
      </header>
      {!entries ? (
        <p className="muted">Loading…</p>
      ) : entries.length === 0 ? (
        <p className="muted">{search ? 'Nothing matches the filter.' : 'Finished uploads will be listed here.'}</p>
      ) : (
        <div className="table-wrap">
          <table className="history-table">
            <caption className="sr-only">Finished uploads</caption>
            <thead>
              <tr>
                <th scope="col">File</th>
                <th scope="col">Size</th>
                <th scope="col">Took</th>
                <th scope="col">Average</th>
                <th scope="col">Finished</th>
                <th scope="col">URL</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((e) => (
                <tr key={e.id}>
                  <td>
                    <strong>{e.name}</strong>
                    <span className="relpath">{e.relativePath ?? e.path}</span>
                  </td>
                  <td>{formatBytes(e.size)}</td>
                  <td>{formatDuration(e.durationMs / 1000)}</td>
                  <td>{formatSpeed(e.averageSpeed)}</td>
                  <td>{formatTime(e.finishedAt)}</td>
                  <td className="mono small url-cell" title={e.resultUrl ?? e.uploadUrl}>
                    {e.resultUrl ?? e.uploadUrl}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
