/**
 * Reads a terminal screen for a question the agent waits on: a first-run dialog (folder trust, API key,
 * login), a permission request, a yes/no prompt. This is a heuristic over the visible text — used where a
 * tool reports nothing itself (before its hooks run, or for tools without hooks) and labelled `screen`.
 */
export interface DetectedPrompt {
  /** A sentence for people: what the agent asks. */
  detail: string;
  /** The answers one click can send: `key` is what is typed (a digit for a menu, y/n for a prompt). */
  choices: { key: string; label: string }[];
}

interface Pattern {
  test: RegExp;
  detail: string;
}

// Ordered: the first match names the question. Wording checked against Claude Code 2.1, Codex CLI and
// Gemini CLI screens; the generic ones catch other tools.
const PATTERNS: Pattern[] = [
  { test: /Do you trust the files in this folder|Is this a project you created or one you trust/, detail: 'Claude Code asks whether to trust this folder' },
  { test: /Detected a custom API key/, detail: 'Claude Code asks whether to use the API key from the environment' },
  { test: /Do you trust the contents of this directory|allow Codex to work in this folder|Do you trust this folder|Trust this folder\?/i, detail: 'The agent asks whether to trust this folder' },
  { test: /Select login method|Choose how to (log in|authenticate)|Sign in with|Please log ?in|Log in with|How would you like to authenticate/i, detail: 'The agent asks you to log in' },
  { test: /Enter (your )?API key|Paste (your )?API key/i, detail: 'The agent asks for an API key' },
  { test: /Do you want to (proceed|make this edit|create|allow)|Allow (this|once)|needs your permission|Approve\?/i, detail: 'The agent asks for permission' },
];

const YES_NO = /(\[(?:y\/n|Y\/n|y\/N|yes\/no)\]|\(Y\)es\/\(N\)o.*|\(y\/n\))[:?]?\s*$/;
const MENU_ITEM = /^\s*(?:[❯>›▶●]\s*)?(\d{1,2})[.)]\s+(.+?)\s*$/;

export function detectPrompt(screen: string): DetectedPrompt | null {
  const lines = screen.split('\n').map((l) => l.replace(/\s+$/, ''));
  const text = lines.join('\n');
  for (const p of PATTERNS) {
    const m = p.test.exec(text);
    if (!m) continue;
    const at = text.slice(0, m.index).split('\n').length - 1;
    const choices = menuAfter(lines, at);
    return { detail: describe(p.detail, lines, at), choices: choices.length > 0 ? choices : [{ key: 'Enter', label: 'Accept (Enter)' }] };
  }
  const last = lines.filter((l) => l.trim() !== '').slice(-1)[0] ?? '';
  if (YES_NO.test(last)) {
    return { detail: `The agent asks: ${last.trim().slice(0, 200)}`, choices: [{ key: 'y', label: 'Yes' }, { key: 'n', label: 'No' }] };
  }
  return null;
}

/** Numbered options below the question line (the first run of them). */
function menuAfter(lines: string[], from: number): { key: string; label: string }[] {
  const out: { key: string; label: string }[] = [];
  for (let i = from; i < lines.length && i < from + 30; i++) {
    const m = MENU_ITEM.exec(lines[i]!);
    if (m) out.push({ key: m[1]!, label: m[2]!.replace(/\s{2,}.*$/, '') });
    else if (out.length > 0 && lines[i]!.trim() !== '' && !/^\s{4,}/.test(lines[i]!)) break;
  }
  return out;
}

/** The pattern's sentence plus the question line itself, so people see the tool's own words. */
function describe(detail: string, lines: string[], at: number): string {
  const q = lines[at]!.replace(/[│┃|╭╮╰╯─]/g, '').trim();
  return q && !detail.includes(q) ? `${detail}: “${q.slice(0, 160)}”` : detail;
}

