import { useHive } from '../store/hive-store';

/** Says so when the WebSocket to the host is down and being retried; silent while connected. */
export function ConnectionBanner() {
  const state = useHive((s) => s.ui.connection);
  const detail = useHive((s) => s.ui.connectionDetail);
  if (state === 'open') return null;
  const text =
    state === 'connecting'
      ? 'Connecting to the Agent Hive host…'
      : state === 'reconnecting'
        ? `Lost the connection to the Agent Hive host. Reconnecting… ${detail ?? ''}`
        : 'Disconnected from the Agent Hive host. Reload the page to reconnect.';
  return (
    <div className={`connection-banner is-${state}`} role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {text}
    </div>
  );
}
