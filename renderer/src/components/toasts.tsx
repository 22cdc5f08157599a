import { dismissToast } from '../store/actions';
import { useHive } from '../store/hive-store';

/** Errors and notices as readable sentences; errors stay longer and are announced assertively. */
export function Toasts() {
  const toasts = useHive((s) => s.ui.toasts);
  return (
    <div className="toasts" aria-live="polite">
      {toasts.map((t) => (
        <div key={t.id} className={`toast toast-${t.level}`} role={t.level === 'error' ? 'alert' : 'status'}>
          <div className="toast-text">
            <strong>{t.title}</strong>
            {t.body && <div>{t.body}</div>}
          </div>
          <button type="button" className="btn btn-ghost btn-icon" aria-label="Dismiss" onClick={() => dismissToast(t.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
