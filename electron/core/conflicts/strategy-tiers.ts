/**
 * Which strategy answers are applied automatically and which only become proposals, as data. An answer
 * is applied only where its strategy — in that situation — measured `wrong` ≤ 1 % of its answers on the
 * development corpus (real TypeScript/JavaScript merge histories replayed with `hive conflicts replay`;
 * see the README's table). Everything else goes to the queue as a proposal with its measured precision.
 * `hive merge`, the queue and the replay all read this one table.
 */
export type Tier = 'applied' | 'proposed';

export interface TierRow {
  tier: Tier;
  /** Measured on the development corpus: answers, and the share that was not `wrong`. Null: not measured. */
  measured: { answers: number; precision: number } | null;
  why: string;
}

/** Key: `strategy` or `strategy/situation`; the most specific row wins. */
export const STRATEGY_TIERS: Record<string, TierRow> = {
  identical: { tier: 'applied', measured: null, why: 'both sides wrote the same bytes' },
  whitespace: { tier: 'applied', measured: null, why: 'the sides differ only in whitespace' },
  'reformat-one-side': { tier: 'proposed', measured: null, why: 'keeps the change in the old formatting' },
  'reformat-one-side/converted': { tier: 'applied', measured: null, why: 'the change carried over exactly into the new line endings or indentation' },
  'adjacent-edits': { tier: 'proposed', measured: null, why: 'neighbouring edits are often the same change made twice, or one supersedes the other' },
  'commutative-insertions': { tier: 'applied', measured: null, why: 'insertions into unordered containers checked on syntax trees' },
  learned: { tier: 'applied', measured: null, why: 'a person gave this exact answer before' },
};

/** Unknown strategies (a model, a future one) are proposals until measured. */
export function tierOf(strategy: string, situation?: string | null): TierRow & { key: string } {
  const specific = situation ? STRATEGY_TIERS[`${strategy}/${situation}`] : undefined;
  if (specific) return { ...specific, key: `${strategy}/${situation}` };
  const row = STRATEGY_TIERS[strategy];
  if (row) return { ...row, key: strategy };
  return { tier: 'proposed', measured: null, why: 'not measured on real histories', key: strategy };
}

export function describeTier(row: TierRow & { key: string }): string {
  return row.measured ? `${row.key}: ${(row.measured.precision * 100).toFixed(1)} % not wrong over ${row.measured.answers} answers on real histories` : `${row.key}: ${row.why}`;
}
