/**
 * Which strategy answers are applied automatically and which only become proposals, as data. An answer
 * is applied only where its strategy — in that situation — measured `wrong` ≤ 1 % of its answers on the
 * development corpus (real TypeScript/JavaScript merge histories replayed with `hive conflicts replay`;
 * see the README's table). Everything else goes to the queue as a proposal with its measured precision.
 * `hive merge`, the queue and the replay all read this one table.
 */
export type Tier = 'applied' | 'proposed';
/** `withheld`: measured wrong so often that its answer is not even offered; the next strategy gets its turn. */
export type TierDecision = Tier | 'withheld';

export interface TierRow {
  tier: TierDecision;
  /** Measured on the development corpus: hunk answers, and the share that was not `wrong`. Null: not measured. */
  measured: { answers: number; wrong: number } | null;
  why: string;
}

/**
 * Key: `strategy` or `strategy/situation`; the most specific row wins. Measured on 2026-12-07 over four
 * public histories (Automattic/mongoose, sequelize/sequelize, socketio/socket.io, knex/knex: 8,815
 * merges, 1,517 conflicting files) — bench/results/conflicts-real.json has the per-repository numbers.
 * Withheld answers are still measured (the replay runs with `measureWithheld`).
 */
export const STRATEGY_TIERS: Record<string, TierRow> = {
  identical: { tier: 'applied', measured: null, why: 'both sides wrote the same bytes (git itself merges most of these)' },
  // Applied although 18 answers cannot show ≤ 1 % statistically: the answer has exactly the tokens both sides wrote.
  whitespace: { tier: 'applied', measured: { answers: 18, wrong: 0 }, why: 'the sides differ only in whitespace' },
  'reformat-one-side/converted': { tier: 'proposed', measured: { answers: 20, wrong: 1 }, why: 'the change carried over into the new line endings or indentation' },
  // Applied without a corpus measurement (the replayed histories have no formatter installed), because the
  // answer is verified: the repository's own formatter laid it out, no token of the change differs, only the
  // answer's lines moved, and the side that re-formatted is already in that formatter's layout.
  'reformat-one-side/formatted': { tier: 'applied', measured: null, why: "the change laid out by the repository's own formatter, token for token" },
  'reformat-one-side/old-formatting': { tier: 'proposed', measured: { answers: 57, wrong: 2 }, why: 'keeps the change in the old formatting, which a developer rarely commits' },
  'adjacent-edits/separate-statements': { tier: 'withheld', measured: { answers: 66, wrong: 24 }, why: 'neighbouring edits in different statements are often one change superseding the other' },
  'adjacent-edits/same-statement': { tier: 'withheld', measured: { answers: 11, wrong: 3 }, why: 'one edit inside the statement the other edits (a signature above a body edit)' },
  'adjacent-edits/shared-names': { tier: 'withheld', measured: { answers: 112, wrong: 45 }, why: 'both edits mention the same names: often the same change made twice' },
  'adjacent-edits/no-grammar': { tier: 'proposed', measured: { answers: 10, wrong: 1 }, why: 'neighbouring edits in a file without a parser (docs, config)' },
  'commutative-insertions': { tier: 'proposed', measured: { answers: 41, wrong: 2 }, why: 'insertions into unordered containers; developers also reorder or drop them' },
  'higher-version': { tier: 'proposed', measured: { answers: 205, wrong: 6 }, why: 'package.json version lines: the higher version of each key' },
  'already-in-ours/in-hunk': { tier: 'proposed', measured: { answers: 59, wrong: 4 }, why: "ours' lines already hold theirs' change; people kept ours" },
  'already-in-ours/elsewhere': { tier: 'withheld', measured: { answers: 19, wrong: 2 }, why: "theirs' change is already elsewhere in ours' file; 2–3 wrong of 16–19 in two runs, above the 10 % proposals may be wrong" },
  'line-by-line': { tier: 'proposed', measured: { answers: 46, wrong: 4 }, why: 'each line changed by one side only; sometimes one change supersedes the other' },
  'changelog-sections': { tier: 'proposed', measured: { answers: 81, wrong: 5 }, why: "both sides' dated release sections, newest first" },
  'higher-version/release-side': { tier: 'proposed', measured: { answers: 23, wrong: 0 }, why: 'package.json: the side with the higher "version", whole' },
  'json-keys': { tier: 'withheld', measured: { answers: 18, wrong: 11 }, why: 'JSON string maps merged key by key: developers often kept one side\'s whole dependency list (an older pin, a dropped package)' },
  'token-merge/same-lines': { tier: 'proposed', measured: { answers: 86, wrong: 7 }, why: 'both sides edited different words of the same lines' },
  'merge-side': { tier: 'proposed', measured: { answers: 64, wrong: 5 }, why: "the side a person took for this merge's other files" },
  learned: { tier: 'proposed', measured: { answers: 15, wrong: 0 }, why: 'a person gave this exact answer before; 1 of 26 wrong in an earlier run with another strategy order, too few answers to show ≤ 1 %' },
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
  if (!row.measured) return `${row.key}: ${row.why}`;
  const right = row.measured.answers - row.measured.wrong;
  return `${row.key}: ${((right / row.measured.answers) * 100).toFixed(0)} % not wrong over ${row.measured.answers} answers on real histories`;
}
