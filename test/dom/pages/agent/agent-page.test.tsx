// @vitest-environment jsdom
import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SnapshotMeta } from '../../../../shared/contract/index';
import { FakeHiveApi, makeAgent, makeEvent } from '../../fake-hive-api';
import { renderApp } from '../../render-app';
import { navigate } from '../../../../renderer/src/store/actions';
import { afterOffset } from '../../../../renderer/src/pages/agent/output-terminal';

// jsdom has no canvas; xterm probes one for glyph sizes. Say "none" quietly instead of jsdom's loud error.
HTMLCanvasElement.prototype.getContext = (() => null) as never;

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});

const snap = (id: string, type: SnapshotMeta['type'], createdAt: string): SnapshotMeta => ({
  id,
  agent: 'alpha',
  type,
  createdAt,
  sha256: 'f'.repeat(64),
  bytes: 2048,
  note: null,
});

async function openAgent(api: FakeHiveApi, name = 'alpha') {
  renderApp(api);
  await screen.findByRole('row', { name });
  act(() => navigate({ page: 'agent', name }));
  return screen.getByRole('region', { name: `Agent ${name}` });
}

function terminalText(): string {
  const term = screen.getByTestId('terminal');
  return term.textContent ?? '';
}

describe('agent detail (fake HiveApi)', () => {
  it('shows the scrollback from the log and then live output chunks (fake api)', async () => {
    const api = new FakeHiveApi([makeAgent('alpha')]);
    api.output.alpha = 'line one\r\n\x1b[32mgreen line\x1b[0m\r\n';
    await openAgent(api);
    await waitFor(() => expect(Number(screen.getByTestId('terminal').dataset.bytes)).toBeGreaterThan(0), { timeout: 10_000 });
    act(() => api.emit('agent:output', { name: 'alpha', data: 'tick 1\r\n', end: api.output.alpha.length + 8 }));
    act(() => api.emit('agent:output', { name: 'other', data: 'not mine\r\n', end: 10 }));
    await waitFor(() => expect(Number(screen.getByTestId('terminal').dataset.bytes)).toBe(api.output.alpha.length + 8));
    // jsdom cannot lay out xterm, so the same text lands in the plain fallback; in Chromium it is xterm.
    if (screen.getByTestId('terminal').querySelector('pre')) {
      expect(terminalText()).toContain('green line');
      expect(terminalText()).toContain('tick 1');
      expect(terminalText()).not.toContain('not mine');
    }
    expect(api.callsTo('agents:output')).toEqual([{ name: 'alpha', maxBytes: 262144 }]);
  });

  it('shows output that arrives while the scrollback loads exactly once: chunks the tail holds are dropped (fake api)', async () => {
    const api = new FakeHiveApi([makeAgent('alpha')]);
    let answer!: (v: { text: string; bytes: number }) => void;
    api.overrides['agents:output'] = () => new Promise((r) => (answer = r));
    await openAgent(api);
    await waitFor(() => expect(api.callsTo('agents:output')).toHaveLength(1));
    // Three chunks are pushed while the tail is in flight: the log then holds "a\nb\nc\nd\n" (8 bytes).
    act(() => api.emit('agent:output', { name: 'alpha', data: 'a\n', end: 2 }));
    act(() => api.emit('agent:output', { name: 'alpha', data: 'b\nc\n', end: 6 }));
    act(() => api.emit('agent:output', { name: 'alpha', data: 'd\n', end: 8 }));
    // The tail was read when the log had 4 bytes: "a\nb\n" — the second chunk is half in it.
    await act(async () => answer({ text: 'a\nb\n', bytes: 4 }));
    await waitFor(() => expect(Number(screen.getByTestId('terminal').dataset.bytes)).toBe(8));
    if (screen.getByTestId('terminal').querySelector('pre')) expect(terminalText()).toBe('a\nb\nc\nd\n');
  });

  it('afterOffset cuts a chunk at a byte offset, multi-byte characters included', () => {
    expect(afterOffset('héllo', 10, 4)).toBe('héllo'); // starts at 4
    expect(afterOffset('héllo', 10, 10)).toBe('');
    expect(afterOffset('héllo', 10, 7)).toBe('llo'); // h(1) é(2) at 4..7
  });

  it('sends typed input with Enter to agents:input (fake api)', async () => {
    const api = new FakeHiveApi([makeAgent('alpha')]);
    await openAgent(api);
    fireEvent.change(screen.getByRole('textbox', { name: 'Input for alpha' }), { target: { value: 'yes' } });
    fireEvent.click(screen.getByRole('button', { name: 'Send' }));
    await waitFor(() => expect(api.callsTo('agents:input')).toEqual([{ name: 'alpha', text: 'yes', enter: true }]));
  });

  it('has the same lifecycle buttons plus Remove, and disables input while not running (fake api)', async () => {
    const api = new FakeHiveApi([makeAgent('alpha', { status: 'stopped' })]);
    const page = await openAgent(api);
    const header = within(page).getByRole('banner', { name: 'alpha' });
    expect((within(header).getByRole('button', { name: 'Sleep' }) as HTMLButtonElement).disabled).toBe(true);
    expect((within(header).getByRole('button', { name: 'Wake' }) as HTMLButtonElement).disabled).toBe(false);
    expect((within(header).getByRole('button', { name: 'Remove' }) as HTMLButtonElement).disabled).toBe(false);
    expect((screen.getByRole('textbox', { name: 'Input for alpha' }) as HTMLInputElement).disabled).toBe(true);
  });

  it('lists the event log and appends pushed events (fake api)', async () => {
    const api = new FakeHiveApi([makeAgent('alpha')]);
    api.events = [makeEvent(1, 'alpha', 'registered', 'starting', 'spawn'), makeEvent(2, 'alpha', 'starting', 'running', 'status')];
    await openAgent(api);
    const log = await screen.findByRole('table', { name: 'Event log' });
    expect(within(log).getByText('spawn')).toBeTruthy();
    act(() => api.emit('event:appended', makeEvent(3, 'alpha', 'running', 'sleeping', 'sleep')));
    expect(within(screen.getByRole('table', { name: 'Event log' })).getByText('sleep')).toBeTruthy();
    expect(within(screen.getByRole('table', { name: 'Event log' })).getAllByRole('row')).toHaveLength(3);
  });

  it('shows the git state of the worktree (fake api)', async () => {
    await openAgent(new FakeHiveApi([makeAgent('alpha')]));
    fireEvent.click(screen.getByRole('tab', { name: 'Git' }));
    expect(await screen.findByText('uncommitted changes')).toBeTruthy();
    expect(screen.getByText('2 commits')).toBeTruthy();
    expect(screen.getByText(/M src\/index.ts/)).toBeTruthy();
  });

  it('views a snapshot, diffs two, and restores one (fake api)', async () => {
    const api = new FakeHiveApi([makeAgent('alpha')]);
    api.overrides['snapshots:list'] = () => [snap('s1', 'sleep', '2026-01-01T10:00:00Z'), snap('s2', 'checkpoint', '2026-01-01T11:00:00Z')];
    api.overrides['snapshots:show'] = ({ id }) => ({
      meta: snap(id, 'sleep', '2026-01-01T10:00:00Z'),
      contents: {
        version: 1,
        agent: 'alpha',
        type: 'sleep',
        createdAt: '2026-01-01T10:00:00Z',
        task: 'refactor the parser',
        role: 'worker',
        outputTail: 'last words',
        memoryFiles: [{ path: 'CLAUDE.md', contentBase64: '', sha256: '' }],
        git: null,
        sessionId: 'sess-1',
        workingMemory: {},
        pendingMessages: [],
        notes: '',
      },
    });
    api.overrides['snapshots:diff'] = () => ({ diff: '--- a/task\n+++ b/task\n-old task\n+new task\n' });
    api.overrides['snapshots:restore'] = () => ({ agent: 'alpha', restoredFiles: 1 });
    vi.spyOn(window, 'confirm').mockReturnValue(true);
    await openAgent(api);
    fireEvent.click(screen.getByRole('tab', { name: 'Snapshots' }));
    const list = await screen.findByRole('list', { name: 'Snapshots' });
    expect(within(list).getAllByRole('listitem')[0]!.textContent).toContain('checkpoint');
    fireEvent.click(within(list).getAllByRole('button', { name: 'View' })[1]!);
    expect(await screen.findByText('refactor the parser')).toBeTruthy();
    expect(screen.getByText('CLAUDE.md')).toBeTruthy();
    fireEvent.click(screen.getByRole('checkbox', { name: 'Pick snapshot s1 for diff' }));
    fireEvent.click(screen.getByRole('checkbox', { name: 'Pick snapshot s2 for diff' }));
    fireEvent.click(screen.getByRole('button', { name: 'Diff selected' }));
    expect(await screen.findByText('+new task')).toBeTruthy();
    expect(screen.getByText('+new task').className).toBe('diff-add');
    fireEvent.click(within(list).getAllByRole('button', { name: 'Restore' })[0]!);
    expect(await screen.findByText('Restored alpha')).toBeTruthy();
    expect(api.callsTo('snapshots:restore')).toEqual([{ id: 's2' }]);
  });

  it('says so when the agent does not exist (fake api)', async () => {
    renderApp(new FakeHiveApi([makeAgent('alpha')]));
    await screen.findByRole('row', { name: 'alpha' });
    act(() => navigate({ page: 'agent', name: 'ghost' }));
    expect(screen.getByText('No agent named ghost')).toBeTruthy();
  });
});
