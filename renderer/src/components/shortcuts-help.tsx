import { setHelpOpen } from '../store/actions';
import { useHive } from '../store/hive-store';

const KEYS: Array<[string, string]> = [
  ['j / k, ↓ / ↑', 'move between agents'],
  ['x or Space', 'select the focused agent'],
  ['a', 'select all visible / none'],
  ['Enter', 'open the focused agent'],
  ['s / w / r / q', 'sleep / wake / restart / stop (selection, else focused)'],
  ['/', 'filter'],
  ['n', 'new agent'],
  ['1 2 3 4', 'fleet, metrics, conflicts, messages'],
  ['Esc', 'clear selection, close dialogs'],
  ['?', 'this help'],
];

export function ShortcutsHelp() {
  const open = useHive((s) => s.ui.helpOpen);
  if (!open) return null;
  return (
    <div className="modal-backdrop" onMouseDown={() => setHelpOpen(false)}>
      <div className="modal help-dialog" role="dialog" aria-modal="true" aria-label="Keyboard shortcuts" onMouseDown={(e) => e.stopPropagation()}>
        <header className="modal-header">
          <h2>Keyboard shortcuts</h2>
          <button type="button" className="btn btn-ghost btn-icon" aria-label="Close" onClick={() => setHelpOpen(false)}>
            ×
          </button>
        </header>
        <table className="kv-table">
          <tbody>
            {KEYS.map(([k, v]) => (
              <tr key={k}>
                <td>
                  <kbd>{k}</kbd>
                </td>
                <td>{v}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
