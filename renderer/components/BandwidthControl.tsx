import { useState } from 'react';
import { api } from '../bridge';
import { formatSpeed, parseBandwidth } from '../format';
import { succeeded } from '../state/actions';
import { useQueue } from '../state/queue';

/** The bandwidth limit, changeable in place: click, type `2 MB` or `0`, Enter; Escape cancels. */
export function BandwidthControl() {
  const limit = useQueue((s) => s.bandwidthLimit);
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState('');
  const [problem, setProblem] = useState<string | undefined>();
  const label = limit > 0 ? formatSpeed(limit) : 'Unlimited';
  if (!editing) {
    return (
      <button
        type="button"
        className="link-button"
        data-field="bandwidth"
        aria-label={`Bandwidth limit: ${label}. Change`}
        title="Change the bandwidth limit"
        onClick={() => {
          setText(limit > 0 ? formatSpeed(limit).replace('/s', '') : '');
          setProblem(undefined);
          setEditing(true);
        }}
      >
        Limit: {label}
      </button>
    );
  }
  const save = async (): Promise<void> => {
    const value = parseBandwidth(text);
    if (value === undefined) {
      setProblem('Write a speed with a unit, such as 500 KB or 2 MB (per second), or 0 for unlimited.');
      return;
    }
    if (await succeeded('Setting the bandwidth limit', () => api().setBandwidthLimit(value))) {
      // The engine confirms with a delta; show the value now so the field does not flicker back.
      useQueue.setState({ bandwidthLimit: value });
      setEditing(false);
    }
  };
  return (
    <form
      className="bandwidth-form"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <label>
        <span className="sr-only">Bandwidth limit per second</span>
        <input
          autoFocus
          value={text}
          placeholder="e.g. 2 MB, 0 = unlimited"
          aria-invalid={problem ? true : undefined}
          aria-describedby={problem ? 'bandwidth-problem' : undefined}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Escape') setEditing(false);
          }}
          data-field="bandwidth-input"
        />
      </label>
      <button type="submit" className="button small">
        Set
      </button>
      {problem ? (
        <span id="bandwidth-problem" className="field-error" role="alert">
          {problem}
        </span>
      ) : null}
    </form>
  );
}
