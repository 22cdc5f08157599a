import { OUTCOME_CLASSES, type OutcomeClass } from './outcome-classes.js';
import type { Tier, TierDecision } from './strategy-tiers.js';

export type Outcome = 'exact' | 'normalized' | 'differ' | 'escalated';

export type ClassCounts = { files: number } & Record<OutcomeClass, number>;
const zeroClasses = (): ClassCounts => ({ files: 0, exact: 0, formatEquivalent: 0, orderEquivalent: 0, humanEdited: 0, wrong: 0 });

export interface StrategyClassCounts extends Record<OutcomeClass, number> {
  /** Hunk answers of this strategy (in this situation), whatever their tier. */
  answers: number;
  tier: TierDecision;
}

/** exact = byte-identical; normalized = identical after whitespace and line-ending normalization. */
export function outcomeOf(result: string, committed: string): Outcome {
  if (result === committed) return 'exact';
  const n = (s: string) => s.replace(/\r\n?/g, '\n').replace(/\s+/g, ' ').trim();
  return n(result) === n(committed) ? 'normalized' : 'differ';
}

interface Counts {
  exact: number;
  normalized: number;
  differ: number;
  escalated: number;
}

const zero = (): Counts => ({ exact: 0, normalized: 0, differ: 0, escalated: 0 });

/** Counters of one replay run and the JSON report the issue asks for. */
export class ReplayTally {
  mergesScanned = 0;
  conflictingMerges = 0;
  files = 0;
  hunks = 0;
  cleanBothSides = 0;
  cleanButEdited = 0;
  resolverMs = 0;
  /** CPU time of this process in the resolver: what an idle machine would need (the host here is shared). */
  resolverCpuMs = 0;
  /** Time spent measuring the git merge-file baseline; not part of the product's speed. */
  baselineMs = 0;
  /** Time spent classing answers against the commits (tree parses); not part of the product's speed. */
  classifyMs = 0;
  /**
   * Time spent running strategies only to measure their withheld answers (a merge does not run them);
   * not in resolverMs (its CPU time not in resolverCpuMs). Such strategies parse with a tree cache of their
   * own, so the measured work finds the caches a merge would.
   */
  measureOnlyMs = 0;
  wallMs = 0;
  private readonly outcomes = zero();
  private readonly baseline = zero();
  private readonly byStrategy = new Map<string, { resolved: number; exact: number; normalized: number; differ: number }>();
  private readonly skipped = new Map<string, number>();
  private readonly classes = { applied: zeroClasses(), proposed: zeroClasses(), escalated: 0 };
  private readonly strategyClasses = new Map<string, StrategyClassCounts>();
  private readonly noiseClasses = zeroClasses();
  private readonly baselineClasses = zeroClasses();

  fileClass(tier: Tier | null, c: OutcomeClass | null): void {
    if (!tier || !c) {
      this.classes.escalated++;
      return;
    }
    this.classes[tier].files++;
    this.classes[tier][c]++;
  }

  /** One hunk answer of `key` (strategy or strategy/situation). */
  strategyClass(key: string, tier: TierDecision, c: OutcomeClass): void {
    const s = this.strategyClasses.get(key) ?? { answers: 0, tier, exact: 0, formatEquivalent: 0, orderEquivalent: 0, humanEdited: 0, wrong: 0 };
    s.answers++;
    s[c]++;
    this.strategyClasses.set(key, s);
  }

  /** A file git merged cleanly, classed against the commit: how often people edit even those. */
  noiseClass(c: OutcomeClass): void {
    this.noiseClasses.files++;
    this.noiseClasses[c]++;
  }

  baselineClass(c: OutcomeClass | null): void {
    if (!c) return;
    this.baselineClasses.files++;
    this.baselineClasses[c]++;
  }

  skip(reason: string, n: number): void {
    this.skipped.set(reason, (this.skipped.get(reason) ?? 0) + n);
  }

  fileOutcome(o: Outcome): void {
    this.outcomes[o]++;
  }

  baselineOutcome(o: Outcome): void {
    this.baseline[o]++;
  }

  strategyOutcome(name: string, o: Outcome): void {
    const s = this.byStrategy.get(name) ?? { resolved: 0, exact: 0, normalized: 0, differ: 0 };
    s.resolved++;
    if (o !== 'escalated') s[o]++;
    this.byStrategy.set(name, s);
  }

  report(repo: string, merges: number) {
    const resolvedFiles = this.outcomes.exact + this.outcomes.normalized + this.outcomes.differ;
    return {
      repo,
      mergesScanned: this.mergesScanned,
      conflictingMerges: this.conflictingMerges,
      files: this.files,
      hunks: this.hunks,
      outcomes: { ...this.outcomes },
      byStrategy: Object.fromEntries([...this.byStrategy].sort()),
      baseline: { ...this.baseline },
      classes: { applied: { ...this.classes.applied }, proposed: { ...this.classes.proposed }, escalated: this.classes.escalated },
      strategyClasses: Object.fromEntries([...this.strategyClasses].sort()),
      noiseFloorClasses: { ...this.noiseClasses },
      baselineClasses: { ...this.baselineClasses },
      noiseFloor: this.cleanBothSides === 0 ? 0 : round(this.cleanButEdited / this.cleanBothSides),
      skipped: Object.fromEntries([...this.skipped].sort()),
      rates: {
        autoResolvedShare: this.files === 0 ? 0 : round(resolvedFiles / this.files),
        differShareOfResolved: resolvedFiles === 0 ? 0 : round(this.outcomes.differ / resolvedFiles),
        appliedWrongShare: this.classes.applied.files === 0 ? 0 : round(this.classes.applied.wrong / this.classes.applied.files),
        proposedWrongShare: this.classes.proposed.files === 0 ? 0 : round(this.classes.proposed.wrong / this.classes.proposed.files),
        appliedOrProposedShare: this.files === 0 ? 0 : round((this.classes.applied.files + this.classes.proposed.files) / this.files),
        noiseFloorWrongShare: this.noiseClasses.files === 0 ? 0 : round(this.noiseClasses.wrong / this.noiseClasses.files),
        cleanFilesBothSides: this.cleanBothSides,
        cleanFilesEditedInMerge: this.cleanButEdited,
      },
      speed: {
        merges,
        wallSeconds: round(this.wallMs / 1000),
        baselineSeconds: round(this.baselineMs / 1000),
        classifySeconds: round(this.classifyMs / 1000),
        measureOnlySeconds: round(this.measureOnlyMs / 1000),
        resolverSeconds: round(this.resolverMs / 1000),
        hunksPerSecondResolver: this.resolverMs === 0 ? 0 : Math.round(this.hunks / (this.resolverMs / 1000)),
        resolverCpuSeconds: round(this.resolverCpuMs / 1000),
        hunksPerCpuSecondResolver: this.resolverCpuMs === 0 ? 0 : Math.round(this.hunks / (this.resolverCpuMs / 1000)),
        hunksPerSecondEndToEnd: this.wallMs === 0 ? 0 : Math.round((this.hunks / ((this.wallMs - this.baselineMs - this.classifyMs - this.measureOnlyMs) / 1000)) * 10) / 10,
      },
    };
  }
}

export { OUTCOME_CLASSES };

function round(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}

export type ReplayReport = ReturnType<ReplayTally['report']>;
