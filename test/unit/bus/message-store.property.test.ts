import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MessageStore } from '../../../electron/core/bus/message-store.js';
import { openDatabase } from '../../../electron/core/store/database.js';

const AGENTS = ['a', 'b', 'c'] as const;

/** What a transport can do to a backlog: deliver, duplicate, lose, reorder. The store must not care. */
const op = fc.oneof(
  fc.record({ kind: fc.constant('send' as const), from: fc.constantFrom(...AGENTS), to: fc.constantFrom(...AGENTS), all: fc.boolean() }),
  fc.record({ kind: fc.constant('claim' as const), who: fc.constantFrom(...AGENTS), ack: fc.boolean(), limit: fc.integer({ min: 1, max: 5 }), viaTransport: fc.boolean(), dup: fc.boolean(), drop: fc.boolean() }),
  fc.record({ kind: fc.constant('ack' as const), who: fc.constantFrom(...AGENTS), pick: fc.nat() }),
);

describe('MessageStore: exactly once after ack, whatever the transport does (property)', () => {
  it('never hands an acknowledged delivery out again, and a final drain delivers everything else once', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hive-store-prop-'));
    let run = 0;
    try {
      fc.assert(
        fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
          const db = openDatabase(path.join(dir, `p${run++}.db`));
          try {
            const store = new MessageStore(db);
            for (const n of AGENTS) store.touchAgent(n, 't');
            const expected = new Map<string, Set<string>>(AGENTS.map((n) => [n, new Set()]));
            const acked = new Map<string, Set<string>>(AGENTS.map((n) => [n, new Set()]));
            const seenUnacked = new Map<string, string[]>(AGENTS.map((n) => [n, []]));
            let i = 0;
            for (const o of ops) {
              if (o.kind === 'send') {
                const id = `m${i++}`;
                const r = store.insert({ id, from: o.from, to: o.all ? null : o.to, topic: null, type: 'text', body: id, createdAt: 't' });
                for (const who of r.recipients) expected.get(who)!.add(id);
              } else if (o.kind === 'claim') {
                // The transport's view: every message ever meant for `who`, some twice, some lost, reversed.
                let ids: string[] | null = null;
                if (o.viaTransport) {
                  ids = [...expected.get(o.who)!];
                  if (o.dup) ids = [...ids, ...ids];
                  if (o.drop) ids = ids.filter((_, k) => k % 2 === 0);
                  ids.reverse();
                }
                const got = store.claim(o.who, ids, { ack: o.ack, limit: o.limit, now: 't' }).messages;
                expect(new Set(got.map((m) => m.id)).size).toBe(got.length);
                for (const m of got) {
                  expect(acked.get(o.who)!.has(m.id)).toBe(false);
                  expect(expected.get(o.who)!.has(m.id)).toBe(true);
                  if (o.ack) acked.get(o.who)!.add(m.id);
                  else seenUnacked.get(o.who)!.push(m.id);
                }
              } else {
                const pool = seenUnacked.get(o.who)!;
                if (pool.length === 0) continue;
                const id = pool[o.pick % pool.length]!;
                const n = store.ack(o.who, [id], 't');
                expect(n).toBe(acked.get(o.who)!.has(id) ? 0 : 1);
                acked.get(o.who)!.add(id);
              }
            }
            for (const who of AGENTS) {
              const rest = store.claim(who, null, { ack: true, limit: 10_000, now: 't' }).messages.map((m) => m.id);
              for (const id of rest) expect(acked.get(who)!.has(id)).toBe(false);
              expect(new Set([...acked.get(who)!, ...rest])).toEqual(expected.get(who));
              expect(store.unacked(who)).toEqual([]);
            }
          } finally {
            db.close();
          }
        }),
        { numRuns: 60 },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
