import { useState } from 'react';
import { errorMessage } from '../../lib/error-message';
import { currentApi } from '../../store/actions';

/** Types text into the agent's terminal ('agents:input'), Enter pressed after it unless unticked. */
export function InputBox({ name, disabled }: { name: string; disabled: boolean }) {
  const [text, setText] = useState('');
  const [enter, setEnter] = useState(true);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const send = async (e: React.FormEvent): Promise<void> => {
    e.preventDefault();
    if (!text && !enter) return;
    setBusy(true);
    setError(null);
    try {
      await currentApi().invoke('agents:input', { name, text, enter });
      setText('');
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="input-box" onSubmit={(e) => void send(e)}>
      <span className="prompt" aria-hidden="true">›</span>
      <input
        className="input mono"
        aria-label={`Input for ${name}`}
        placeholder={disabled ? `${name} is not running` : `Send text to ${name}…`}
        value={text}
        disabled={disabled || busy}
        onChange={(e) => setText(e.target.value)}
      />
      <label className="checkbox" title="Press Enter after the text">
        <input type="checkbox" checked={enter} onChange={(e) => setEnter(e.target.checked)} /> ⏎
      </label>
      <button type="submit" className="btn btn-sm" disabled={disabled || busy}>
        Send
      </button>
      {error && (
        <div className="alert alert-error input-error" role="alert">
          {error}
        </div>
      )}
    </form>
  );
}
