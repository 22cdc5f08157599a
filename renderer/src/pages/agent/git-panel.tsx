import { useCallback, useEffect, useState } from 'react';
import type { GitState } from '../../../../shared/contract/index';
import { errorMessage } from '../../lib/error-message';
import { currentApi } from '../../store/actions';

/** Branch, HEAD, commits ahead and `git status` of the agent's worktree. */
export function GitPanel({ name }: { name: string }) {
  const [git, setGit] = useState<GitState | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(async () => {
    try {
      setGit(await currentApi().invoke('agents:git', { name }));
      setError(null);
    } catch (err) {
      setError(errorMessage(err));
    }
  }, [name]);
  useEffect(() => {
    void load();
  }, [load]);
  return (
    <div className="git-panel">
      <div className="panel-toolbar">
        <button type="button" className="btn btn-sm" onClick={() => void load()}>
          Refresh
        </button>
      </div>
      {error && (
        <div className="alert alert-error" role="alert">
          {error}
        </div>
      )}
      {git && (
        <>
          <dl className="kv">
            <dt>Branch</dt>
            <dd>
              <code>{git.branch}</code>
            </dd>
            <dt>HEAD</dt>
            <dd>
              <code>{git.head.slice(0, 12)}</code>
            </dd>
            <dt>Ahead</dt>
            <dd>{git.ahead} commit{git.ahead === 1 ? '' : 's'}</dd>
            <dt>Worktree</dt>
            <dd className={git.dirty ? 'text-warn' : 'text-ok'}>{git.dirty ? 'uncommitted changes' : 'clean'}</dd>
          </dl>
          {git.status.trim() && <pre className="code-block">{git.status}</pre>}
        </>
      )}
    </div>
  );
}
