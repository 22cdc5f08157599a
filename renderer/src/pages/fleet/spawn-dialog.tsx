import { useEffect, useRef, useState } from 'react';
import type { BackendKind, Engine, Preset, SpawnRequest } from '../../../../shared/contract/index';
import { PresetEndpoint } from './preset-endpoint';
import { agentNameProblem } from '../../../../shared/names';
import { errorMessage } from '../../lib/error-message';
import { currentApi, setSpawnOpen, toast, upsertAgent } from '../../store/actions';
import { useHive } from '../../store/hive-store';

const PRESETS: Array<{ id: Preset; label: string; hint: string }> = [
  { id: 'claude', label: 'Claude Code', hint: 'Runs `claude`; resumes its own session.' },
  { id: 'codex', label: 'Codex CLI', hint: 'Runs `codex`; resumes its own session.' },
  { id: 'gemini', label: 'Gemini CLI', hint: 'Runs `gemini`; resumes its own session.' },
  { id: 'aider', label: 'Aider', hint: 'Runs `aider` (not tested with the real CLI).' },
  { id: 'custom', label: 'Custom', hint: 'Any command you type below.' },
];

const BACKENDS: Array<{ id: BackendKind; hint: string }> = [
  { id: 'tmux', hint: 'A tmux session you can attach to.' },
  { id: 'process', hint: 'A plain child process.' },
  { id: 'docker', hint: 'A container from an image.' },
];

const LAST_REPO_KEY = 'agent-hive.lastRepo';

function suggestName(existing: string[]): string {
  for (let i = existing.length + 1; ; i++) {
    const n = `agent-${i}`;
    if (!existing.includes(n)) return n;
  }
}

/** Spawn an agent: preset, name, repository, role, task, backend (and the command for custom). */
export function SpawnDialog({ pickDirectory }: { pickDirectory?: () => Promise<string | null> }) {
  const open = useHive((s) => s.ui.spawnOpen);
  if (!open) return null;
  return <SpawnForm pickDirectory={pickDirectory} />;
}

function SpawnForm({ pickDirectory }: { pickDirectory?: () => Promise<string | null> }) {
  const existing = useHive.getState().agents.order;
  const [preset, setPreset] = useState<Preset>('custom');
  const [name, setName] = useState(() => suggestName(existing));
  const [repo, setRepo] = useState(() => safeStorageGet(LAST_REPO_KEY) ?? '');
  const [role, setRole] = useState('');
  const [task, setTask] = useState('');
  const [backend, setBackend] = useState<BackendKind>('tmux');
  const [cmd, setCmd] = useState('');
  const [image, setImage] = useState('');
  const [engine, setEngine] = useState('');
  const [engines, setEngines] = useState<Engine[] | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const nameRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    nameRef.current?.focus();
    nameRef.current?.select();
  }, []);

  // The engines, once docker is chosen (asks each one, so only then).
  useEffect(() => {
    if (backend !== 'docker' || engines) return;
    currentApi()
      .invoke('engines:list', {})
      .then(setEngines, () => setEngines([]));
  }, [backend, engines]);

  const nameProblem = name ? agentNameProblem(name) : null;
  const close = (): void => setSpawnOpen(false);

  const submit = async (e: React.FormEvent): Promise<void> => {
    e.preventDefault();
    const problem = agentNameProblem(name.trim());
    if (problem) return setError(problem);
    if (!repo.trim()) return setError('Choose the git repository the agent works on.');
    if (preset === 'custom' && !cmd.trim()) return setError('A custom agent needs a command to run.');
    if (backend === 'docker' && !image.trim()) return setError('The docker backend needs an image name.');
    const req: SpawnRequest = { name: name.trim(), repo: repo.trim(), role: role.trim(), task, backend, preset };
    if (cmd.trim()) req.cmd = cmd.trim();
    if (backend === 'docker') req.image = image.trim();
    if (backend === 'docker' && engine) req.engine = engine;
    setBusy(true);
    setError(null);
    try {
      const agent = await currentApi().invoke('agents:spawn', req);
      upsertAgent(agent);
      safeStorageSet(LAST_REPO_KEY, repo.trim());
      toast('info', `Spawned ${agent.name}`, `${agent.backend} · branch ${agent.branch || '—'}`);
      close();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && !busy && close()}>
      <form
        className="modal spawn-dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby="spawn-title"
        onSubmit={(e) => void submit(e)}
        onKeyDown={(e) => {
          if (e.key === 'Escape' && !busy) close();
        }}
      >
        <header className="modal-header">
          <h2 id="spawn-title">Spawn an agent</h2>
          <button type="button" className="btn btn-ghost btn-icon" aria-label="Close" onClick={close}>
            ×
          </button>
        </header>

        <fieldset className="preset-grid">
          <legend>Preset</legend>
          {PRESETS.map((p) => (
            <label key={p.id} className={`preset-card${preset === p.id ? ' is-active' : ''}`}>
              <input type="radio" name="preset" value={p.id} checked={preset === p.id} onChange={() => setPreset(p.id)} />
              <span className="preset-label">{p.label}</span>
              <span className="preset-hint">{p.hint}</span>
            </label>
          ))}
        </fieldset>

        <div className="form-grid">
          <div className="field">
            <label className="field" htmlFor="spawn-name">
              <span>Name</span>
            </label>
            <input
              id="spawn-name"
              ref={nameRef}
              className="input"
              value={name}
              onChange={(e) => setName(e.target.value)}
              aria-invalid={!!nameProblem}
              aria-describedby={nameProblem ? 'spawn-name-problem' : undefined}
            />
            {nameProblem && (
              <small id="spawn-name-problem" className="field-error">
                {nameProblem}
              </small>
            )}
          </div>
          <label className="field">
            <span>Role</span>
            <input className="input" value={role} placeholder="e.g. backend, reviewer, tests" onChange={(e) => setRole(e.target.value)} />
          </label>
          <label className="field field-wide">
            <span>Repository path</span>
            <div className="input-with-button">
              <input className="input" value={repo} placeholder="/home/you/code/project (a git repository)" onChange={(e) => setRepo(e.target.value)} />
              {pickDirectory && (
                <button
                  type="button"
                  className="btn"
                  onClick={() => void pickDirectory().then((dir) => dir && setRepo(dir))}
                >
                  Browse…
                </button>
              )}
            </div>
          </label>
          <label className="field field-wide">
            <span>Command{preset !== 'custom' && <em className="muted"> (optional: another build or path of {preset} and its options; the preset still adds its session and task arguments)</em>}</span>
            <input
              className="input mono"
              value={cmd}
              placeholder={preset === 'custom' ? "e.g. bash -c 'npm test -- --watch'" : preset}
              onChange={(e) => setCmd(e.target.value)}
            />
          </label>
          {preset !== 'custom' && <PresetEndpoint preset={preset} />}
          <label className="field field-wide">
            <span>Task</span>
            <textarea className="input" rows={3} value={task} placeholder="What should this agent do?" onChange={(e) => setTask(e.target.value)} />
          </label>
          <fieldset className="field field-wide backend-choice">
            <legend>Backend</legend>
            {BACKENDS.map((b) => (
              <label key={b.id} className={`backend-option${backend === b.id ? ' is-active' : ''}`} title={b.hint}>
                <input type="radio" name="backend" value={b.id} checked={backend === b.id} onChange={() => setBackend(b.id)} />
                {b.id}
              </label>
            ))}
          </fieldset>
          {backend === 'docker' && (
            <label className="field field-wide">
              <span>Image</span>
              <input className="input mono" value={image} placeholder="e.g. agent-hive/claude:latest" onChange={(e) => setImage(e.target.value)} />
            </label>
          )}
          {backend === 'docker' && engines && engines.length > 1 && (
            <label className="field">
              <span>Engine</span>
              <select className="input" value={engine} onChange={(e) => setEngine(e.target.value)}>
                <option value="">the one that fits</option>
                {engines.map((e) => (
                  <option key={e.name} value={e.name} disabled={!e.reachable}>
                    {e.name} · {e.runningAgents} running{e.reachable ? '' : ' · unreachable'}
                  </option>
                ))}
              </select>
            </label>
          )}
        </div>

        {error && (
          <div className="alert alert-error" role="alert">
            {error}
          </div>
        )}
        <footer className="modal-footer">
          <button type="button" className="btn btn-ghost" onClick={close} disabled={busy}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? 'Spawning…' : 'Spawn'}
          </button>
        </footer>
      </form>
    </div>
  );
}

function safeStorageGet(key: string): string | null {
  try {
    return window.localStorage.getItem(key);
  } catch {
    return null;
  }
}

function safeStorageSet(key: string, value: string): void {
  try {
    window.localStorage.setItem(key, value);
  } catch {}
}
