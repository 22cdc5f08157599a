import { HiveError } from '../../../shared/errors.js';
import { run } from '../ports/exec.js';
import type { HunkInput, Strategy, StrategyOutcome } from './strategy.js';
import { joinLines, splitLines } from './text-lines.js';

export interface ProposalRequest {
  path: string;
  base: string;
  ours: string;
  theirs: string;
  before: string;
  after: string;
}

/** A language model that proposes the text for one hunk. Configured by the user; off by default. */
export interface LlmProvider {
  readonly name: string;
  propose(req: ProposalRequest): Promise<string>;
}

const INSTRUCTIONS =
  'You resolve one git merge conflict hunk. Reply with ONLY the merged text for the hunk, no fences, no commentary. ' +
  'Keep every change of both sides when they are compatible; never invent code.';

function prompt(r: ProposalRequest): string {
  const tail = (s: string) => s.split('\n').slice(-15).join('\n');
  const head = (s: string) => s.split('\n').slice(0, 15).join('\n');
  return `File: ${r.path}\n--- context before ---\n${tail(r.before)}\n--- base ---\n${r.base}\n--- ours ---\n${r.ours}\n--- theirs ---\n${r.theirs}\n--- context after ---\n${head(r.after)}\n`;
}

function strip(text: string): string {
  const m = /^```[^\n]*\n([\s\S]*?)\n?```\s*$/.exec(text.trim());
  return m ? m[1]! + '\n' : text;
}

export class AnthropicProvider implements LlmProvider {
  readonly name = 'anthropic';
  constructor(private readonly opts: { apiKey: string; model: string; baseUrl?: string }) {}

  async propose(req: ProposalRequest): Promise<string> {
    const res = await fetch(`${this.opts.baseUrl ?? 'https://api.anthropic.com'}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': this.opts.apiKey, 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: this.opts.model, max_tokens: 4096, system: INSTRUCTIONS, messages: [{ role: 'user', content: prompt(req) }] }),
      signal: AbortSignal.timeout(120_000),
    });
    if (!res.ok) throw new HiveError('INTERNAL', `The Anthropic API answered ${res.status}. Check the API key and model in the conflict settings.`);
    const body = (await res.json()) as { content?: { type: string; text?: string }[] };
    return strip((body.content ?? []).map((c) => c.text ?? '').join(''));
  }
}

export class OpenAiCompatibleProvider implements LlmProvider {
  readonly name = 'openai-compatible';
  constructor(private readonly opts: { baseUrl: string; apiKey?: string; model: string }) {}

  async propose(req: ProposalRequest): Promise<string> {
    const res = await fetch(`${this.opts.baseUrl.replace(/\/$/, '')}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(this.opts.apiKey ? { authorization: `Bearer ${this.opts.apiKey}` } : {}) },
      body: JSON.stringify({ model: this.opts.model, messages: [{ role: 'system', content: INSTRUCTIONS }, { role: 'user', content: prompt(req) }] }),
      signal: AbortSignal.timeout(120_000),
    });
    if (!res.ok) throw new HiveError('INTERNAL', `The model endpoint ${this.opts.baseUrl} answered ${res.status}. Check its URL, key and model.`);
    const body = (await res.json()) as { choices?: { message?: { content?: string } }[] };
    return strip(body.choices?.[0]?.message?.content ?? '');
  }
}

/** A local command: gets the request as JSON on stdin, prints the merged hunk on stdout. */
export class CommandProvider implements LlmProvider {
  readonly name = 'command';
  constructor(private readonly opts: { command: string; args?: string[]; timeoutMs?: number }) {}

  async propose(req: ProposalRequest): Promise<string> {
    const r = await run(this.opts.command, this.opts.args ?? [], { input: JSON.stringify({ ...req, instructions: INSTRUCTIONS }), timeoutMs: this.opts.timeoutMs ?? 120_000 });
    return strip(r.stdout);
  }
}

/** Asks the provider; its answer is only a proposal until the verification gate accepts the whole file. */
export class LlmStrategy implements Strategy {
  readonly name: string;
  constructor(private readonly provider: LlmProvider) {
    this.name = `llm:${provider.name}`;
  }

  async apply(h: HunkInput): Promise<StrategyOutcome | null> {
    let text: string;
    try {
      text = await this.provider.propose({ path: h.path, base: joinLines(h.base), ours: joinLines(h.ours), theirs: joinLines(h.theirs), before: h.prefix, after: h.suffix });
    } catch (err) {
      return { kind: 'escalate', reason: `the language model failed: ${(err as Error).message}` };
    }
    if (text.trim() === '' && (h.ours.length > 0 || h.theirs.length > 0)) return null;
    return { kind: 'resolved', lines: splitLines(text.endsWith('\n') || text === '' ? text : text + '\n'), reason: `proposed by ${this.provider.name}` };
  }
}
