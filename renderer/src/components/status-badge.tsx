import type { AgentStatus } from '../../../shared/lifecycle';

/** One colour per state, shared by the badge, the tray legend and the charts. */
export const STATUS_COLOR: Record<AgentStatus, string> = {
  registered: '#8b949e',
  starting: '#58a6ff',
  running: '#3fb950',
  sleeping: '#a371f7',
  stopping: '#d29922',
  stopped: '#6e7681',
  crashed: '#f0883e',
  recovering: '#39c5cf',
  errored: '#f85149',
  unknown: '#d29922',
  unreachable: '#db61a2',
};

export function StatusBadge({ status, title }: { status: AgentStatus; title?: string }) {
  return (
    <span className={`status-badge status-${status}`} style={{ ['--status' as string]: STATUS_COLOR[status] }} title={title}>
      <span className="status-dot" aria-hidden="true" />
      {status}
    </span>
  );
}
