import type { ServerCapabilities } from '../../shared/types';
import { formatBytes, formatTime } from '../format';
import { Icon } from './Icon';

/** Plain-language names of tus extensions. */
export const EXTENSION_LABELS: Record<string, string> = {
  creation: 'Create uploads',
  'creation-with-upload': 'Send data while creating an upload (saves a round trip)',
  'creation-defer-length': 'Start before the size is known',
  termination: 'Delete unfinished uploads on cancel',
  expiration: 'Unfinished uploads expire',
  checksum: 'Verify each chunk with a checksum',
  'checksum-trailer': 'Checksums sent after the data',
  concatenation: 'Upload parts in parallel and join them',
  'concatenation-unfinished': 'Join parts before they finish',
};

/** What a server advertises, what Tusk will do with it, or why it cannot be used. */
export function CapabilitiesPanel({
  caps,
  checking,
  onRefresh,
}: {
  caps: ServerCapabilities | undefined;
  checking: boolean;
  onRefresh: () => void;
}) {
  return (
    <section className="capabilities" aria-labelledby="caps-title" aria-busy={checking} data-testid="capabilities">
      <header className="section-head">
        <h2 id="caps-title">Server capabilities</h2>
        <button type="button" className="button small" onClick={onRefresh} disabled={checking} data-action="refresh-caps">
          <Icon name="refresh" size={14} /> {checking ? 'Checking…' : caps ? 'Refresh' : 'Check now'}
        </button>
      </header>
      {!caps ? (
        <p className="muted">{checking ? 'Asking the server…' : 'Not checked yet.'}</p>
      ) : caps.error || !caps.reachable || !caps.isTus ? (
        <div className="callout error" role="alert" data-testid="caps-error">
          <strong>
            {!caps.reachable
              ? 'The server cannot be reached.'
              : !caps.isTus
                ? 'This does not look like a tus server.'
                : 'The server cannot be used.'}
          </strong>
          {caps.error ? <p>{caps.error.message}</p> : null}
          {caps.error?.hint ? <p>{caps.error.hint}</p> : null}
          <p className="muted small">
            {caps.endpoint} · checked {formatTime(caps.checkedAt)}
          </p>
        </div>
      ) : (
        <>
          <dl className="fields">
            <dt>Endpoint</dt>
            <dd className="mono">{caps.endpoint}</dd>
            <dt>tus version</dt>
            <dd data-field="tus-version">
              {caps.version ?? 'not stated'}
              {caps.versions.length > 1 ? ` (also ${caps.versions.filter((v) => v !== caps.version).join(', ')})` : ''}
            </dd>
            <dt>Maximum upload size</dt>
            <dd data-field="max-size">{caps.maxSize !== undefined ? formatBytes(caps.maxSize) : 'No limit stated'}</dd>
            <dt>Checksum algorithms</dt>
            <dd data-field="checksums">{caps.checksumAlgorithms.length > 0 ? caps.checksumAlgorithms.join(', ') : 'None'}</dd>
            <dt>Expiry</dt>
            <dd>{caps.expiration ? 'Unfinished uploads expire after a while (per upload)' : 'Not advertised'}</dd>
            <dt>Checked</dt>
            <dd>{formatTime(caps.checkedAt)}</dd>
          </dl>
          <h3>Extensions</h3>
          {caps.extensions.length === 0 ? (
            <p className="muted">The server advertises no extensions: only the core protocol.</p>
          ) : (
            <ul className="extensions" data-testid="extensions">
              {caps.extensions.map((x) => (
                <li key={x} data-extension={x}>
                  <span className="ext-name mono">{x}</span>
                  <span className="ext-label">{EXTENSION_LABELS[x] ?? 'An extension Tusk does not use'}</span>
                </li>
              ))}
            </ul>
          )}
          {caps.plan ? (
            <>
              <h3>What Tusk will do</h3>
              <ul className="plan" data-testid="plan">
                <li>
                  {caps.plan.chunkSize > 0
                    ? `Send ${formatBytes(caps.plan.chunkSize)} per request`
                    : 'Send each file in one request'}
                </li>
                <li>
                  {caps.plan.checksum === 'none' ? 'No checksums (the server offers none)' : `Verify every chunk with ${caps.plan.checksum}`}
                </li>
                <li>
                  {caps.plan.parallelUploads > 1
                    ? `Upload ${caps.plan.parallelUploads} parts of each file in parallel`
                    : 'Upload each file as one sequence'}
                </li>
                <li>{caps.plan.creationWithUpload ? 'Send the first bytes with the creation request' : 'Create, then send'}</li>
                <li>{caps.plan.deferredLength ? 'Can start before a size is known' : 'Sizes are sent up front'}</li>
                <li>{caps.plan.termination ? 'Cancel deletes the unfinished upload on the server' : 'Cancel leaves the unfinished upload to expire'}</li>
              </ul>
            </>
          ) : null}
        </>
      )}
    </section>
  );
}
