import { createElement, useLayoutEffect, useRef, useSyncExternalStore, type ReactElement } from 'react';

/**
 * One shared 1 s ticker for every "uptime" and "heartbeat age" cell, so 500 rows do not each own a timer
 * and the interval stops when nothing shows a clock.
 */
const subscribers = new Set<() => void>();
let now = Date.now();
let timer: ReturnType<typeof setInterval> | null = null;

function subscribe(cb: () => void): () => void {
  subscribers.add(cb);
  if (!timer) {
    now = Date.now();
    timer = setInterval(() => {
      now = Date.now();
      for (const s of subscribers) s();
    }, 1000);
  }
  return () => {
    subscribers.delete(cb);
    if (subscribers.size === 0 && timer) {
      clearInterval(timer);
      timer = null;
    }
  };
}

export function useNow(): number {
  return useSyncExternalStore(subscribe, () => now, () => now);
}

interface ClockCell {
  el: HTMLElement;
  derive: (now: number) => string;
  text: string | null;
}

const cells = new Set<ClockCell>();
let unsubscribeCells: (() => void) | null = null;

function writeCell(c: ClockCell): void {
  const text = c.derive(now);
  if (text === c.text) return;
  c.text = text;
  c.el.textContent = text;
}

function tickCells(): void {
  for (const c of cells) writeCell(c);
}

/**
 * Text that follows the shared clock ("12s ago", "4m") without React: each second the ticker writes the
 * cells whose text changed straight into the DOM. 500 fleet rows with a heartbeat age each would otherwise
 * be 500 component renders every second, a 10 ms task on two cores. React renders an empty span and never
 * owns its text; the cell is written again whenever the row renders (new props) and on every tick.
 */
export function ClockText({ derive }: { derive: (now: number) => string }): ReactElement {
  const ref = useRef<HTMLSpanElement>(null);
  const cell = useRef<ClockCell | null>(null);
  useLayoutEffect(() => {
    const c: ClockCell = { el: ref.current!, derive, text: null };
    cell.current = c;
    cells.add(c);
    if (!unsubscribeCells) unsubscribeCells = subscribe(tickCells);
    return () => {
      cells.delete(c);
      cell.current = null;
      if (cells.size === 0 && unsubscribeCells) {
        unsubscribeCells();
        unsubscribeCells = null;
      }
    };
    // Registered once per mount; the effect below keeps `derive` current.
  }, []);
  useLayoutEffect(() => {
    const c = cell.current;
    if (!c) return;
    c.derive = derive;
    writeCell(c);
  });
  return createElement('span', { ref });
}
