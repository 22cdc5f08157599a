import { useSyncExternalStore } from 'react';

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

/**
 * A value derived from the clock (e.g. "4m 05s"); the component re-renders only when that value changes, so
 * a fleet of "—" heartbeat cells and hour-long uptimes does not re-render every second.
 */
export function useClock<T extends string | number | null>(derive: (now: number) => T): T {
  return useSyncExternalStore(subscribe, () => derive(now), () => derive(now));
}
