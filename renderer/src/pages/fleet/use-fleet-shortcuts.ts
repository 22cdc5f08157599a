import { useEffect, useRef } from 'react';
import type { AgentAction } from '../../../../shared/lifecycle';
import { navigate, runAction, runBulk, setFocused, setSelected, setSpawnOpen, toggleSelected } from '../../store/actions';
import { useHive } from '../../store/hive-store';

const ACTION_KEYS: Record<string, AgentAction> = { s: 'sleep', w: 'wake', r: 'restart', q: 'stop' };

function typingInto(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el || !el.tagName) return false;
  return el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName);
}

/**
 * Fleet keyboard: j/k or arrows move, x selects, a selects all, Enter opens, s/w/r/q act on the selection
 * (or the focused row), / filters, n spawns, Esc clears.
 */
export function useFleetShortcuts(names: string[], filterRef: React.RefObject<HTMLInputElement | null>): void {
  const namesRef = useRef(names);
  namesRef.current = names;
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || typingInto(e.target)) return;
      const { ui } = useHive.getState();
      if (ui.spawnOpen || ui.helpOpen) return;
      const list = namesRef.current;
      const idx = ui.focused ? list.indexOf(ui.focused) : -1;
      const move = (d: number): void => {
        if (list.length === 0) return;
        const next = list[Math.max(0, Math.min(list.length - 1, idx < 0 ? 0 : idx + d))]!;
        setFocused(next);
        const el = [...document.querySelectorAll('[data-agent]')].find((r) => r.getAttribute('data-agent') === next);
        el?.scrollIntoView?.({ block: 'nearest' });
      };
      switch (e.key) {
        case 'j':
        case 'ArrowDown':
          move(1);
          break;
        case 'k':
        case 'ArrowUp':
          move(-1);
          break;
        case 'x':
        case ' ':
          if (!ui.focused) return;
          toggleSelected(ui.focused);
          break;
        case 'a':
          setSelected(ui.selected.length === list.length ? [] : list);
          break;
        case 'Enter':
          if (!ui.focused) return;
          navigate({ page: 'agent', name: ui.focused });
          break;
        case '/':
          filterRef.current?.focus();
          break;
        case 'n':
          setSpawnOpen(true);
          break;
        case 'Escape':
          setSelected([]);
          setFocused(null);
          break;
        default: {
          const action = ACTION_KEYS[e.key];
          if (!action) return;
          if (ui.selected.length > 0) void runBulk(action);
          else if (ui.focused) void runAction(ui.focused, action);
          else return;
        }
      }
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [filterRef]);
}
