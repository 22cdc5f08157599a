import { afterAll, describe, expect, it } from 'vitest';
import type { LlmProvider, ProposalRequest } from '../../../electron/core/conflicts/llm-provider.js';
import { Resolver } from '../../../electron/core/conflicts/resolver.js';

/** A FAKE language model (no model can run here): answers from a table, and records what it was asked. */
class FakeProvider implements LlmProvider {
  readonly name = 'fake';
  readonly asked: ProposalRequest[] = [];
  constructor(private readonly answer: (r: ProposalRequest) => string) {}
  async propose(r: ProposalRequest): Promise<string> {
    this.asked.push(r);
    return this.answer(r);
  }
}

const base = 'export function f(x: number): number {\n  return x + 1;\n}\n';
const ours = 'export function f(x: number): number {\n  return x * 2;\n}\n';
const theirs = 'export function f(x: number): number {\n  return x - 1;\n}\n';

const resolvers: Resolver[] = [];
afterAll(() => resolvers.forEach((r) => r.dispose()));
function make(llm: LlmProvider | null): Resolver {
  const r = new Resolver({ llm });
  resolvers.push(r);
  return r;
}

describe('language-model strategy (FAKE provider)', () => {
  it('is off by default: a real conflict escalates and no model is asked', async () => {
    const r = await make(null).resolveFile({ path: 'f.ts', base, ours, theirs });
    expect(r.status).toBe('escalated');
    expect(r.hunks[0]!.attempts.some((a) => a.strategy.startsWith('llm'))).toBe(false);
  });

  it('FAKE provider: an answer that passes the gate is a proposal (a model is not measured, so never applied) and names its strategy', async () => {
    const fake = new FakeProvider(() => '  return (x - 1) * 2;\n');
    const r = await make(fake).resolveFile({ path: 'f.ts', base, ours, theirs });
    expect(fake.asked[0]).toMatchObject({ path: 'f.ts', base: '  return x + 1;\n', ours: '  return x * 2;\n', theirs: '  return x - 1;\n' });
    expect(r.status).toBe('escalated');
    expect(r.tier).toBe('proposed');
    expect(r.merged).toBeNull();
    expect(r.hunks[0]!.strategy).toBe('llm:fake');
    expect(r.reason).toContain('proposal');
    expect(r.proposal).toBe('export function f(x: number): number {\n  return (x - 1) * 2;\n}\n');
  });

  it('FAKE provider: a proposal that does not parse is never applied; it is kept as a proposal and the file escalates', async () => {
    const fake = new FakeProvider(() => '  return (x - 1 * 2;\n');
    const r = await make(fake).resolveFile({ path: 'f.ts', base, ours, theirs });
    expect(r.status).toBe('escalated');
    expect(r.merged).toBeNull();
    expect(r.reason).toContain('does not parse');
    expect(r.proposal).toContain('return (x - 1 * 2;');
  });

  it('FAKE provider: a proposal that drops a member one side added fails the gate', async () => {
    const b = 'interface A {\n  a: string;\n}\n';
    const o = 'interface A {\n  a: number;\n  b: string;\n}\n';
    const t = 'interface A {\n  a: boolean;\n}\n';
    const fake = new FakeProvider(() => '  a: boolean;\n');
    const r = await make(fake).resolveFile({ path: 'i.ts', base: b, ours: o, theirs: t });
    expect(r.status).toBe('escalated');
    expect(r.reason).toContain('drops A.b, which ours added');
  });

  it('FAKE provider: a model that fails escalates with its error, never guesses', async () => {
    const fake = new FakeProvider(() => {
      throw new Error('rate limited');
    });
    const r = await make(fake).resolveFile({ path: 'f.ts', base, ours, theirs });
    expect(r.status).toBe('escalated');
    expect(r.reason).toContain('rate limited');
  });

  it('FAKE provider: deterministic strategies go first, the model is not asked when they succeed', async () => {
    const fake = new FakeProvider(() => 'nonsense\n');
    const r = await make(fake).resolveFile({
      path: 'a.ts',
      base: "import { a } from './m.js';\n",
      ours: "import { a, b } from './m.js';\n",
      theirs: "import { a, c } from './m.js';\n",
    });
    expect(r.tier).toBe('proposed');
    expect(r.hunks[0]!.strategy).toBe('commutative-insertions');
    expect(fake.asked).toHaveLength(0);
  });
});
