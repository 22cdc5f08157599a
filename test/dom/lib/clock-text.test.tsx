// @vitest-environment jsdom
import { act, cleanup, render } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ClockText } from '../../../renderer/src/lib/use-now';

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(new Date('2026-12-03T10:00:00Z'));
});
afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

const since = (startMs: number) => (now: number) => `${Math.floor((now - startMs) / 1000)}s`;

describe('ClockText: clock cells written by the shared ticker, not by React renders', () => {
  it('shows the text on first render and advances it every second without re-rendering', () => {
    const start = Date.now() - 5000;
    let renders = 0;
    function Cell({ from }: { from: number }) {
      renders++;
      return <ClockText derive={since(from)} />;
    }
    const { container } = render(<Cell from={start} />);
    expect(container.textContent).toBe('5s');
    act(() => vi.advanceTimersByTime(1000));
    expect(container.textContent).toBe('6s');
    act(() => vi.advanceTimersByTime(3000));
    expect(container.textContent).toBe('9s');
    expect(renders).toBe(1);
  });

  it('takes a new derive on re-render (e.g. a restart moves startedAt) and keeps ticking from it', () => {
    const { container, rerender } = render(<ClockText derive={since(Date.now() - 42_000)} />);
    expect(container.textContent).toBe('42s');
    rerender(<ClockText derive={since(Date.now())} />);
    expect(container.textContent).toBe('0s');
    act(() => vi.advanceTimersByTime(2000));
    expect(container.textContent).toBe('2s');
  });

  it('stops the shared ticker when the last cell unmounts', () => {
    const { unmount } = render(
      <>
        <ClockText derive={since(Date.now())} />
        <ClockText derive={since(Date.now() - 1000)} />
      </>,
    );
    expect(vi.getTimerCount()).toBe(1);
    unmount();
    expect(vi.getTimerCount()).toBe(0);
  });
});
