import { setSpawnOpen } from '../../store/actions';

/** What a new user sees before the first agent: how to spawn one from here or from a terminal. */
export function EmptyState() {
  return (
    <div className="empty-state" role="status">
      <div className="empty-icon" aria-hidden="true">⬡</div>
      <h2>No agents yet</h2>
      <p>
        An agent is a coding assistant (Claude Code, Aider, Codex or any command) running in tmux, as a process or in
        Docker, on its own git worktree of your repository.
      </p>
      <ol>
        <li>
          Click <strong>New agent</strong> (or press <kbd>N</kbd>), pick a preset, and point it at a git repository.
        </li>
        <li>
          Or from a terminal: <code>hive agents spawn --name my-agent --repo ~/code/project --preset claude</code>
        </li>
      </ol>
      <button type="button" className="btn btn-primary" onClick={() => setSpawnOpen(true)}>
        New agent
      </button>
    </div>
  );
}
