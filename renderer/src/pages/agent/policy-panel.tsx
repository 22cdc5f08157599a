import { useState } from 'react';
import type { Agent, RestartPolicy } from '../../../../shared/contract/agents';
import { errorMessage } from '../../lib/error-message';
import { currentApi, toast, upsertAgent } from '../../store/actions';

const FIELDS: Array<{ key: Exclude<keyof RestartPolicy, 'autorestart' | 'stopExitCodes'>; label: string; unit: string }> = [
  { key: 'initialDelayMs', label: 'First restart after', unit: 'ms' },
  { key: 'factor', label: 'Backoff factor', unit: '×' },
  { key: 'maxDelayMs', label: 'Longest backoff', unit: 'ms' },
  { key: 'minUptimeMs', label: 'Backoff resets after uptime', unit: 'ms' },
  { key: 'maxRestarts', label: 'Max restarts in window', unit: '' },
  { key: 'unstableWindowMs', label: 'Unstable window', unit: 'ms' },
  { key: 'hangTimeoutMs', label: 'Hung after silence (0 = off)', unit: 'ms' },
  { key: 'killTimeoutMs', label: 'SIGTERM → SIGKILL after', unit: 'ms' },
];

/** The agent's restart policy (settings' defaults plus its own overrides), editable in place. */
export function PolicyPanel({ agent }: { agent: Agent }) {
  const [draft, setDraft] = useState<RestartPolicy>(agent.policy);
  const [codes, setCodes] = useState(agent.policy.stopExitCodes.join(', '));
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function save() {
    const stopExitCodes = codes.split(',').map((c) => c.trim()).filter(Boolean).map(Number);
    if (stopExitCodes.some((c) => !Number.isInteger(c))) {
      setError('Stop exit codes are whole numbers separated by commas, like 0, 2.');
      return;
    }
    setSaving(true);
    setError(null);
    try {
      const updated = await currentApi().invoke('agents:setPolicy', { name: agent.name, policy: { ...draft, stopExitCodes } });
      upsertAgent(updated);
      toast('info', `Policy of ${agent.name} saved`, 'It applies to the next crash.');
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setSaving(false);
    }
  }

  return (
    <form
      className="policy-panel"
      aria-label="Restart policy"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <label className="policy-row">
        <span>Restart after a crash</span>
        <span className="policy-value">
          <input type="checkbox" checked={draft.autorestart} onChange={(e) => setDraft({ ...draft, autorestart: e.target.checked })} />
          <span className="policy-unit" />
        </span>
      </label>
      <label className="policy-row">
        <span>Exit codes that mean “stopped”</span>
        <span className="policy-value">
          <input type="text" value={codes} onChange={(e) => setCodes(e.target.value)} />
          <span className="policy-unit" />
        </span>
      </label>
      {FIELDS.map((f) => (
        <label key={f.key} className="policy-row">
          <span>{f.label}</span>
          <span className="policy-value">
            <input
              type="number"
              min={0}
              step={f.key === 'factor' ? 0.1 : 1}
              value={draft[f.key]}
              onChange={(e) => setDraft({ ...draft, [f.key]: Number(e.target.value) })}
            />
            <span className="policy-unit">{f.unit}</span>
          </span>
        </label>
      ))}
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      <button type="submit" className="btn" disabled={saving}>
        {saving ? 'Saving…' : 'Save policy'}
      </button>
    </form>
  );
}
