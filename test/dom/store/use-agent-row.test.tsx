// @vitest-environment jsdom
import { act, cleanup, render } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyStatus, removeAgent, setAgents, setFocused, setSelected, toggleSelected } from '../../../renderer/src/store/actions';
import { resetHiveStore, useHive } from '../../../renderer/src/store/hive-store';
import { useAgentRow } from '../../../renderer/src/store/use-agent-row';
import { makeAgent, makeEvent } from '../fake-hive-api';

beforeEach(() => resetHiveStore());
afterEach(() => cleanup());

const NAMES = Array.from({ length: 40 }, (_, i) => `a${String(i).padStart(2, '0')}`);

/** Rows that count their own renders, so a test can see which ones a store update woke. */
function mountRows(): Map<string, number> {
  const renders = new Map<string, number>();
  function Row({ name }: { name: string }) {
    const { agent, selected, focused, pending } = useAgentRow(name);
    renders.set(name, (renders.get(name) ?? 0) + 1);
    return (
      <div data-testid={name} data-status={agent?.status ?? 'gone'} data-selected={selected} data-focused={focused} data-pending={pending ?? ''} />
    );
  }
  render(
    <>
      {NAMES.map((n) => (
        <Row key={n} name={n} />
      ))}
    </>,
  );
  return renders;
}

function rendersSince(renders: Map<string, number>, before: Map<string, number>): string[] {
  return NAMES.filter((n) => (renders.get(n) ?? 0) !== (before.get(n) ?? 0));
}

describe('useAgentRow: fleet rows woken by name, not by every store update', () => {
  it('a pushed status re-renders only the row of that agent, with the new status', () => {
    act(() => setAgents(NAMES.map((n) => makeAgent(n))));
    const renders = mountRows();
    const before = new Map(renders);
    act(() => applyStatus(makeAgent('a07', { status: 'sleeping' }), makeEvent(1, 'a07', 'running', 'sleeping')));
    expect(rendersSince(renders, before)).toEqual(['a07']);
    expect(document.querySelector('[data-testid="a07"]')!.getAttribute('data-status')).toBe('sleeping');
    expect(document.querySelector('[data-testid="a08"]')!.getAttribute('data-status')).toBe('running');
  });

  it('selection, focus and a reload wake exactly the rows whose slice changed', () => {
    act(() => setAgents(NAMES.map((n) => makeAgent(n))));
    const renders = mountRows();

    let before = new Map(renders);
    act(() => toggleSelected('a03'));
    expect(rendersSince(renders, before)).toEqual(['a03']);
    expect(document.querySelector('[data-testid="a03"]')!.getAttribute('data-selected')).toBe('true');

    // Selecting the whole fleet wakes the rest; unselecting one wakes that one only.
    before = new Map(renders);
    act(() => setSelected([...NAMES]));
    expect(rendersSince(renders, before)).toEqual(NAMES.filter((n) => n !== 'a03'));
    before = new Map(renders);
    act(() => toggleSelected('a10'));
    expect(rendersSince(renders, before)).toEqual(['a10']);
    expect(document.querySelector('[data-testid="a10"]')!.getAttribute('data-selected')).toBe('false');

    before = new Map(renders);
    act(() => setFocused('a01'));
    act(() => setFocused('a02'));
    expect(rendersSince(renders, before)).toEqual(['a01', 'a02']);
    expect(document.querySelector('[data-testid="a01"]')!.getAttribute('data-focused')).toBe('false');
    expect(document.querySelector('[data-testid="a02"]')!.getAttribute('data-focused')).toBe('true');

    // An action in flight (set by runAction) shows on its row only.
    before = new Map(renders);
    act(() => useHive.setState((s) => ({ ui: { ...s.ui, pending: { a05: 'restart' } } })));
    expect(rendersSince(renders, before)).toEqual(['a05']);
    expect(document.querySelector('[data-testid="a05"]')!.getAttribute('data-pending')).toBe('restart');

    // A reload after a reconnect replaces every record: every row checks again.
    before = new Map(renders);
    act(() => setAgents(NAMES.map((n) => makeAgent(n, { status: 'stopped' }))));
    expect(rendersSince(renders, before)).toEqual(NAMES);
  });

  it('a removed agent leaves its row empty and wakes no other row', () => {
    act(() => setAgents(NAMES.map((n) => makeAgent(n))));
    const renders = mountRows();
    const before = new Map(renders);
    act(() => removeAgent('a20'));
    expect(rendersSince(renders, before)).toEqual(['a20']);
    expect(document.querySelector('[data-testid="a20"]')!.getAttribute('data-status')).toBe('gone');
  });
});
