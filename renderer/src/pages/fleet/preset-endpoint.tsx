import { useEffect, useState } from 'react';
import type { Preset, Settings } from '../../../../shared/contract/index';
import { errorMessage } from '../../lib/error-message';
import { currentApi } from '../../store/actions';

/** The variables each preset's tool reads for its model endpoint (see docs/PRESETS.md). */
const ENDPOINT_VARS: Partial<Record<Preset, { url: string; key: string }>> = {
  claude: { url: 'ANTHROPIC_BASE_URL', key: 'ANTHROPIC_API_KEY' },
  codex: { url: 'OPENAI_BASE_URL', key: 'OPENAI_API_KEY' },
  gemini: { url: 'GOOGLE_GEMINI_BASE_URL', key: 'GEMINI_API_KEY' },
  aider: { url: 'OPENAI_API_BASE', key: 'OPENAI_API_KEY' },
};

/**
 * The model endpoint a preset's agents start with: base URL (for self-hosted or proxy endpoints) and API
 * key, saved for every agent of the preset. The key is a secret: kept out of the database, logs and
 * snapshots, shown back only by its last four characters.
 */
export function PresetEndpoint({ preset }: { preset: Preset }) {
  const vars = ENDPOINT_VARS[preset];
  const [settings, setSettings] = useState<Settings | null>(null);
  const [url, setUrl] = useState('');
  const [key, setKey] = useState('');
  const [note, setNote] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    void currentApi()
      .invoke('settings:get', {})
      .then((s) => live && setSettings(s))
      .catch(() => {});
    return () => {
      live = false;
    };
  }, []);
  if (!vars) return null;
  const current = settings?.toolEnv[preset] ?? {};
  const shownUrl = current[vars.url]?.value ?? null;
  const keyHint = current[vars.key]?.secret ? (current[vars.key]!.hint ? `set (ends …${current[vars.key]!.hint})` : 'set') : null;
  const save = async () => {
    setNote(null);
    try {
      let s: Settings | null = null;
      if (url.trim()) s = await currentApi().invoke('settings:set', { toolEnv: { preset, name: vars.url, value: url.trim() } });
      if (key) s = await currentApi().invoke('settings:set', { toolEnv: { preset, name: vars.key, value: key, secret: true } });
      if (s) setSettings(s);
      setUrl('');
      setKey('');
      setNote('Saved for every new start of this preset.');
    } catch (err) {
      setNote(errorMessage(err));
    }
  };
  return (
    <fieldset className="field field-wide preset-endpoint" aria-label="Model endpoint">
      <legend>Model endpoint for {preset} agents</legend>
      <div className="endpoint-current muted">
        {vars.url}: {shownUrl ?? 'the tool’s default'} · {vars.key}: {keyHint ?? 'not set here (the tool may have its own login)'}
      </div>
      <div className="endpoint-fields">
        <input className="input mono" aria-label={vars.url} placeholder={`${vars.url} (optional)`} value={url} onChange={(e) => setUrl(e.target.value)} />
        <input className="input mono" type="password" autoComplete="off" aria-label={vars.key} placeholder={`${vars.key} (kept secret)`} value={key} onChange={(e) => setKey(e.target.value)} />
        <button type="button" className="btn btn-sm" disabled={!url.trim() && !key} onClick={() => void save()}>
          Save
        </button>
      </div>
      {note && <div className="muted">{note}</div>}
    </fieldset>
  );
}
