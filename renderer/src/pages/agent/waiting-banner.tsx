import { useState } from 'react';
import type { Agent } from '../../../../shared/contract/index';
import { errorMessage } from '../../lib/error-message';
import { currentApi, toast } from '../../store/actions';

/** The question a waiting agent stopped at, in its own words, with one button per answer it accepts. */
export function WaitingBanner({ agent }: { agent: Agent }) {
  const [busy, setBusy] = useState<string | null>(null);
  const a = agent.activity;
  if (!a || a.state !== 'waiting') return null;
  const answer = async (key: string, label: string) => {
    setBusy(key);
    try {
      await currentApi().invoke('agents:answer', { name: agent.name, key });
      toast('info', `Answered ${agent.name}`, label);
    } catch (err) {
      toast('error', `Could not answer ${agent.name}`, errorMessage(err));
    } finally {
      setBusy(null);
    }
  };
  return (
    <div className="alert alert-waiting" role="alert" aria-label="Waiting for you">
      <div>
        <strong>Waiting for you:</strong> {a.detail ?? 'the agent asks a question'}
        <span className="muted"> ({a.source === 'screen' ? 'read off its screen' : 'reported by its hooks'})</span>
      </div>
      {a.choices.length > 0 ? (
        <div className="alert-actions">
          {a.choices.map((c) => (
            <button key={c.key} type="button" className="btn alert-action" disabled={busy !== null} onClick={() => void answer(c.key, c.label)}>
              {c.label}
            </button>
          ))}
        </div>
      ) : (
        <span className="muted">Answer it in the terminal below.</span>
      )}
    </div>
  );
}
