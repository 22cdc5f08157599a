import { describe, expect, it } from 'vitest';
import type { Agent } from '../../../shared/contract/index.js';
import { DesktopNotifier, type DesktopNotice } from '../../../electron/main/desktop-notifier.js';

const agent = (name: string, status: Agent['status'], lastError: string | null = null) => ({ name, status, lastError, lastExitCode: 1 }) as Agent;
const ev = (from: Agent['status'], to: Agent['status']) => ({ id: 1, at: '', agent: 'a', kind: 'status', from, to, cause: '', actor: '', data: null });

describe('desktop notifications', () => {
  it('notifies on crashed, errored and escalated conflicts, once per agent per burst', () => {
    const shown: DesktopNotice[] = [];
    let t = 0;
    const n = new DesktopNotifier((x) => shown.push(x), () => t);
    n.handle('agent:status', { agent: agent('a', 'sleeping'), event: ev('running', 'sleeping') });
    n.handle('agent:status', { agent: agent('a', 'crashed', 'exit 137'), event: ev('running', 'crashed') });
    n.handle('notify', { level: 'warning', title: 'a crashed', body: 'restarting in 1 s' });
    n.handle('notify', { level: 'info', title: 'b spawned', body: '' });
    n.handle('conflict:changed', { id: 'c1', status: 'resolved' });
    n.handle('conflict:changed', { id: 'c1', status: 'escalated' });
    t = 10_000;
    n.handle('agent:status', { agent: agent('a', 'errored'), event: ev('crashed', 'errored') });
    expect(shown.map((s) => s.title)).toEqual(['a crashed', 'A merge conflict needs your review', 'a needs attention']);
    expect(shown[0]!.body).toBe('exit 137');
    expect(shown[2]!.urgent).toBe(true);
  });
});
