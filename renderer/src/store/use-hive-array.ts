import { useRef } from 'react';
import { useHive, type HiveState } from './hive-store';

/**
 * Like zustand's useShallow for arrays, without its Map-based comparison (which allocated two Maps of 500
 * entries per store update for the fleet's name list): same length and same items keep the old array.
 */
export function useHiveArray<T>(selector: (s: HiveState) => readonly T[]): readonly T[] {
  const prev = useRef<readonly T[] | null>(null);
  return useHive((s) => {
    const next = selector(s);
    const p = prev.current;
    if (p !== null && (p === next || (p.length === next.length && p.every((v, i) => Object.is(v, next[i]))))) return p;
    prev.current = next;
    return next;
  });
}
