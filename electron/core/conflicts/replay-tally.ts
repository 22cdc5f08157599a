export type Outcome = 'exact' | 'normalized' | 'differ' | 'escalated';

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
  wallMs = 0;
  private readonly outcomes = zero();
  private readonly baseline = zero();
  private readonly byStrategy = new Map<string, { resolved: number; exact: number; normalized: number; differ: number }>();
  private readonly skipped = new Map<string, number>();

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
      noiseFloor: this.cleanBothSides === 0 ? 0 : round(this.cleanButEdited / this.cleanBothSides),
      skipped: Object.fromEntries([...this.skipped].sort()),
      rates: {
        autoResolvedShare: this.files === 0 ? 0 : round(resolvedFiles / this.files),
        differShareOfResolved: resolvedFiles === 0 ? 0 : round(this.outcomes.differ / resolvedFiles),
        cleanFilesBothSides: this.cleanBothSides,
        cleanFilesEditedInMerge: this.cleanButEdited,
      },
      speed: {
        merges,
        wallSeconds: round(this.wallMs / 1000),
        baselineSeconds: round(this.baselineMs / 1000),
        resolverSeconds: round(this.resolverMs / 1000),
        hunksPerSecondResolver: this.resolverMs === 0 ? 0 : Math.round(this.hunks / (this.resolverMs / 1000)),
        resolverCpuSeconds: round(this.resolverCpuMs / 1000),
        hunksPerCpuSecondResolver: this.resolverCpuMs === 0 ? 0 : Math.round(this.hunks / (this.resolverCpuMs / 1000)),
        hunksPerSecondEndToEnd: this.wallMs === 0 ? 0 : Math.round((this.hunks / ((this.wallMs - this.baselineMs) / 1000)) * 10) / 10,
      },
    };
  }
}

function round(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}

export type ReplayReport = ReturnType<ReplayTally['report']>;
