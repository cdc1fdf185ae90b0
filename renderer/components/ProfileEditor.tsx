import { useState } from 'react';
import type { ProfileInput } from '../../shared/ipc';
import type { ChecksumChoice, HeaderEntry, ServerCapabilities, ServerProfile } from '../../shared/types';
import { api, errorMessage } from '../bridge';
import { refreshProfiles } from '../state/actions';
import { useApp } from '../state/app';
import { CapabilitiesPanel } from './CapabilitiesPanel';
import { Icon } from './Icon';
import { HTTP_TOKEN } from '../../shared/http-token';

/** A new profile's starting values. */
export const blankProfile: ProfileInput = {
  name: '',
  endpoint: 'https://',
  headers: [],
  chunkSize: 0,
  checksum: 'auto',
  parallelUploads: 1,
  verifyTls: true,
  maxConcurrent: 3,
};

const MB = 1024 * 1024;

/** Checks a profile before it is sent; returns what is wrong, in words. */
export function validateProfile(p: ProfileInput): string[] {
  const problems: string[] = [];
  if (!p.name.trim()) problems.push('Give the server a name.');
  try {
    const u = new URL(p.endpoint);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') problems.push('The endpoint must start with http:// or https://.');
  } catch {
    problems.push('The endpoint is not a valid URL (for example https://example.com/files/).');
  }
  p.headers.forEach((h, i) => {
    if (!HTTP_TOKEN.test(h.name)) problems.push(`Header ${i + 1}: the name may use letters, digits and - only.`);
    if (/[\r\n]/.test(h.value)) problems.push(`Header ${i + 1}: the value cannot contain line breaks.`);
  });
  return problems;
}

/** Add or edit a server profile, with headers (secret values masked and never shown back) and "Test connection". */
export function ProfileEditor({ profile, onDone }: { profile?: ServerProfile; onDone: (saved?: ServerProfile) => void }) {
  const [draft, setDraft] = useState<ProfileInput>(() => (profile ? { ...profile, headers: profile.headers.map((h) => ({ ...h })) } : { ...blankProfile }));
  const [problems, setProblems] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const [caps, setCaps] = useState<ServerCapabilities | undefined>();
  const [testing, setTesting] = useState(false);
  const toast = useApp((s) => s.toast);
  const set = <K extends keyof ProfileInput>(key: K, value: ProfileInput[K]): void => setDraft((d) => ({ ...d, [key]: value }));
  const setHeader = (i: number, patch: Partial<HeaderEntry>): void =>
    setDraft((d) => ({ ...d, headers: d.headers.map((h, j) => (j === i ? { ...h, ...patch } : h)) }));

  const clean = (): ProfileInput => {
    // Strip fields the contract does not accept from a saved profile (`builtIn`).
    const { id, name, endpoint, headers, chunkSize, checksum, parallelUploads, verifyTls, caPath, maxConcurrent, metadata } = draft;
    return {
      ...(id ? { id } : {}),
      name: name.trim(),
      endpoint: endpoint.trim(),
      headers: headers.filter((h) => h.name.trim() !== '').map((h) => ({ name: h.name.trim(), value: h.value, secret: h.secret })),
      chunkSize,
      checksum,
      parallelUploads,
      verifyTls,
      ...(caPath ? { caPath } : {}),
      maxConcurrent,
      ...(metadata ? { metadata } : {}),
    };
  };

  /** Validates the draft, then runs `work` on it with `setFlag` raised; a failure joins the problems shown. */
  const withValidDraft = async (setFlag: (on: boolean) => void, work: (input: ProfileInput) => Promise<void>): Promise<void> => {
    const input = clean();
    const found = validateProfile(input);
    setProblems(found);
    if (found.length > 0) return;
    setFlag(true);
    try {
      await work(input);
    } catch (err) {
      setProblems([errorMessage(err)]);
    } finally {
      setFlag(false);
    }
  };

  const save = (): Promise<void> =>
    withValidDraft(setBusy, async (input) => {
      const saved = await api().saveProfile(input);
      await refreshProfiles();
      toast('info', `Saved ${saved.name}`);
      onDone(saved);
    });

  const test = (): Promise<void> =>
    withValidDraft(setTesting, async (input) => {
      setCaps(await api().testConnection({ profile: input }));
    });

  return (
    <form
      className="profile-editor"
      aria-label={profile ? `Edit ${profile.name}` : 'New server'}
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <h2>{profile ? `Edit ${profile.name}` : 'New server'}</h2>
      {problems.length > 0 ? (
        <ul className="callout error" role="alert">
          {problems.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      ) : null}
      <div className="form-grid">
        <label>
          Name
          <input value={draft.name} onChange={(e) => set('name', e.target.value)} placeholder="My server" required />
        </label>
        <label>
          Endpoint (tus URL)
          <input value={draft.endpoint} onChange={(e) => set('endpoint', e.target.value)} placeholder="https://example.com/files/" required spellCheck={false} />
        </label>
        <label>
          Chunk size (MB, 0 = whole file per request)
          <input
            type="number"
            min={0}
            step={1}
            value={Math.round(draft.chunkSize / MB)}
            onChange={(e) => set('chunkSize', Math.max(0, Math.round(Number(e.target.value) || 0)) * MB)}
          />
        </label>
        <label>
          Checksum
          <select value={draft.checksum} onChange={(e) => set('checksum', e.target.value as ChecksumChoice)}>
            <option value="auto">Automatic (strongest the server offers)</option>
            <option value="none">None</option>
            <option value="sha256">SHA-256</option>
            <option value="sha1">SHA-1</option>
            <option value="sha512">SHA-512</option>
            <option value="md5">MD5</option>
          </select>
        </label>
        <label>
          Parallel parts per file
          <input type="number" min={1} max={64} value={draft.parallelUploads} onChange={(e) => set('parallelUploads', Math.min(64, Math.max(1, Number(e.target.value) || 1)))} />
        </label>
        <label>
          Uploads at once to this server
          <input type="number" min={1} max={64} value={draft.maxConcurrent} onChange={(e) => set('maxConcurrent', Math.min(64, Math.max(1, Number(e.target.value) || 1)))} />
        </label>
        <label className="check">
          <input type="checkbox" checked={draft.verifyTls} onChange={(e) => set('verifyTls', e.target.checked)} />
          Verify TLS certificates
        </label>
        {!draft.verifyTls ? (
          <p className="callout warning">Without verification anyone on the network path could read or change your uploads.</p>
        ) : null}
      </div>
      <fieldset className="headers">
        <legend>Headers sent with every request</legend>
        {draft.headers.length === 0 ? <p className="muted small">None. Add one for tokens or API keys.</p> : null}
        {draft.headers.map((h, i) => (
          <div className="header-row" key={i}>
            <input aria-label={`Header ${i + 1} name`} placeholder="Authorization" value={h.name} onChange={(e) => setHeader(i, { name: e.target.value })} spellCheck={false} />
            <input
              aria-label={`Header ${i + 1} value`}
              type={h.secret ? 'password' : 'text'}
              autoComplete="off"
              placeholder={h.secret && h.hasValue ? '•••••• (stored; type to replace)' : 'value'}
              value={h.value}
              onChange={(e) => setHeader(i, { value: e.target.value })}
              spellCheck={false}
            />
            <label className="check small">
              <input type="checkbox" checked={h.secret} onChange={(e) => setHeader(i, { secret: e.target.checked })} />
              Secret
            </label>
            <button type="button" className="icon-button" aria-label={`Remove header ${i + 1}`} onClick={() => setDraft((d) => ({ ...d, headers: d.headers.filter((_, j) => j !== i) }))}>
              <Icon name="trash" />
            </button>
          </div>
        ))}
        <button type="button" className="button small" onClick={() => setDraft((d) => ({ ...d, headers: [...d.headers, { name: '', value: '', secret: false }] }))}>
          <Icon name="plus" size={14} /> Add header
        </button>
      </fieldset>
      <div className="form-actions">
        <button type="submit" className="button primary" disabled={busy}>
          {busy ? 'Saving…' : 'Save'}
        </button>
        <button type="button" className="button" onClick={() => void test()} disabled={testing} data-action="test-connection">
          {testing ? 'Testing…' : 'Test connection'}
        </button>
        <button type="button" className="button ghost" onClick={() => onDone()}>
          Cancel
        </button>
      </div>
      {caps || testing ? <CapabilitiesPanel caps={caps} checking={testing} onRefresh={() => void test()} /> : null}
    </form>
  );
}
