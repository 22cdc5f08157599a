import { describe, expect, it } from 'vitest';
import { LogFrames, timestampMs } from '../../../electron/core/supervisor/docker/container-io.js';

function frame(stream: 1 | 2, payload: string): Buffer {
  const body = Buffer.from(payload);
  const head = Buffer.alloc(8);
  head[0] = stream;
  head.writeUInt32BE(body.length, 4);
  return Buffer.concat([head, body]);
}

describe('the engine log stream a resumed container connection reads', () => {
  it('reads RFC 3339 timestamps with nanoseconds (kept below the millisecond), in any zone', () => {
    expect(timestampMs('2026-12-07T02:53:02.123456789Z')).toBeCloseTo(Date.UTC(2026, 11, 7, 2, 53, 2, 123) + 0.456789, 5);
    expect(timestampMs('2026-12-07T03:53:02.5+01:00')).toBe(Date.UTC(2026, 11, 7, 2, 53, 2, 500));
    expect(timestampMs('2026-12-07T02:53:02Z')).toBe(Date.UTC(2026, 11, 7, 2, 53, 2));
    expect(timestampMs('not a time')).toBeNaN();
  });

  it('splits frames however the chunks fall, stdout and stderr alike, and hands over each line with its time', () => {
    const lines: [number, string][] = [];
    const f = new LogFrames((ts, payload) => lines.push([ts, payload.toString()]));
    const all = Buffer.concat([
      frame(1, '2026-12-07T02:53:02.100000000Z tick 1\n'),
      frame(2, '2026-12-07T02:53:02.200000000Z oops: é\n'),
      frame(1, '2026-12-07T02:53:02.300000000Z tick 2\n'),
    ]);
    // One byte at a time: headers and payloads cut anywhere.
    for (let i = 0; i < all.length; i++) f.push(all.subarray(i, i + 1));
    const t = Date.UTC(2026, 11, 7, 2, 53, 2);
    expect(lines).toEqual([
      [t + 100, 'tick 1\n'],
      [t + 200, 'oops: é\n'],
      [t + 300, 'tick 2\n'],
    ]);
  });
});
