import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hookTransition } from '../../../../electron/core/agents/activity-tracker.js';
import { detectPrompt } from '../../../../electron/core/agents/prompt-detector.js';
import { answerClaudeFirstRun, claudeProjectKey, installClaudeHooks } from '../../../../electron/core/agents/tools/claude.js';
import { codexArgs } from '../../../../electron/core/agents/tools/codex.js';
import { geminiTerminalEnv, trustGeminiFolder } from '../../../../electron/core/agents/tools/gemini.js';
import { openDatabase } from '../../../../electron/core/store/database.js';
import { SettingsStore } from '../../../../electron/core/settings/settings-store.js';
import { tempDir } from '../../../support/git-repo.js';
import { rmSync } from 'node:fs';

const dirs: string[] = [];
const tmp = (p: string) => {
  const d = tempDir(p);
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("Claude Code's first-run answers (~/.claude.json)", () => {
  it('trusts only the given worktree, approves a configured key, keeps every other setting and the file mode', () => {
    const home = tmp('hive-home-');
    const file = path.join(home, '.claude.json');
    writeFileSync(file, JSON.stringify({ theme: 'dark', projects: { '/other': { hasTrustDialogAccepted: false, allowedTools: ['x'] } }, customApiKeyResponses: { approved: ['old'], rejected: ['…KLMNOPQRST'] } }));
    chmodSync(file, 0o640);
    const did = answerClaudeFirstRun({ worktree: '/wt/a', env: { ANTHROPIC_API_KEY: 'sk-ant-0123456789abcdefghijKLMNOPQRST' }, home, endpointConfigured: true });
    expect(did.join(' ')).toMatch(/trusted the folder \/wt\/a.*onboarding.*ending …QRST/);
    const c = JSON.parse(readFileSync(file, 'utf8'));
    expect(c.theme).toBe('dark');
    expect(c.projects['/other']).toEqual({ hasTrustDialogAccepted: false, allowedTools: ['x'] });
    expect(c.projects['/wt/a'].hasTrustDialogAccepted).toBe(true);
    expect(c.hasCompletedOnboarding).toBe(true);
    expect(c.customApiKeyResponses.approved).toEqual(['old', 'abcdefghijKLMNOPQRST']);
    expect(statSync(file).mode & 0o777).toBe(0o640);
    // Nothing new to record: nothing written.
    expect(answerClaudeFirstRun({ worktree: '/wt/a', env: { ANTHROPIC_API_KEY: 'sk-ant-0123456789abcdefghijKLMNOPQRST' }, home, endpointConfigured: true })).toEqual([]);
  });

  it('without an endpoint configured in Agent Hive, only the folder is trusted (no onboarding, no key)', () => {
    const home = tmp('hive-home-');
    answerClaudeFirstRun({ worktree: '/wt/b', env: { ANTHROPIC_API_KEY: 'sk-user-own-key-000000000000' }, home, endpointConfigured: false });
    const c = JSON.parse(readFileSync(path.join(home, '.claude.json'), 'utf8'));
    expect(c).toEqual({ projects: { '/wt/b': { hasTrustDialogAccepted: true } } });
  });

  it('a ~/.claude.json that is not valid JSON is left exactly as it is, with an error that says what to do', () => {
    const home = tmp('hive-home-');
    const file = path.join(home, '.claude.json');
    writeFileSync(file, '{"theme": "dark",');
    expect(() => answerClaudeFirstRun({ worktree: '/wt/c', env: {}, home, endpointConfigured: false })).toThrow(/not valid JSON.*leaves it as it is/);
    expect(readFileSync(file, 'utf8')).toBe('{"theme": "dark",');
  });

  it('hooks merge into .claude/settings.local.json beside the user\'s own, once', () => {
    const wt = tmp('hive-wt-');
    mkdirSync(path.join(wt, '.claude'));
    writeFileSync(path.join(wt, '.claude', 'settings.local.json'), JSON.stringify({ permissions: { allow: ['Bash(npm test)'] }, hooks: { Stop: [{ hooks: [{ type: 'command', command: 'say done' }] }] } }));
    expect(installClaudeHooks(wt)).toBe(true);
    expect(installClaudeHooks(wt)).toBe(false);
    const s = JSON.parse(readFileSync(path.join(wt, '.claude', 'settings.local.json'), 'utf8'));
    expect(s.permissions).toEqual({ allow: ['Bash(npm test)'] });
    expect(s.hooks.Stop).toHaveLength(2);
    expect(s.hooks.Stop[0].hooks[0].command).toBe('say done');
    expect(s.hooks.Stop[1].hooks[0].command).toBe('hive hook claude Stop');
    expect(Object.keys(s.hooks).sort()).toEqual(['Notification', 'PermissionRequest', 'PostToolUse', 'PreToolUse', 'SessionEnd', 'SessionStart', 'Stop', 'UserPromptSubmit']);
  });

  it('names the session folder as Claude Code does (every non-alphanumeric character becomes -)', () => {
    expect(claudeProjectKey('/tmp/my.proj_2')).toBe('-tmp-my-proj-2');
  });
});

describe('Codex and Gemini first-run answers', () => {
  it('codex: trust of the worktree and its repository as one override on its command line; a configured base URL becomes a provider', () => {
    const args = codexArgs('/d/wt/a "q"', '/repo', { OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' });
    expect(args).toContain('--no-daemon');
    expect(args).toContain('projects={ "/d/wt/a \\"q\\"" = { trust_level = "trusted" }, "/repo" = { trust_level = "trusted" } }');
    expect(args).toContain('model_providers.hive.base_url="http://127.0.0.1:9/v1"');
    expect(codexArgs('/w', '/w', { OPENAI_BASE_URL: 'not a url; rm -rf /' }).join(' ')).not.toContain('rm -rf');
  });

  it('gemini: the worktree joins trustedFolders.json, the user\'s entries kept', () => {
    const home = tmp('hive-home-');
    mkdirSync(path.join(home, '.gemini'));
    writeFileSync(path.join(home, '.gemini', 'trustedFolders.json'), JSON.stringify({ '/mine': 'DO_NOT_TRUST' }));
    expect(trustGeminiFolder({}, home, '/wt/g')).toBe(true);
    expect(trustGeminiFolder({}, home, '/wt/g')).toBe(false);
    expect(JSON.parse(readFileSync(path.join(home, '.gemini', 'trustedFolders.json'), 'utf8'))).toEqual({ '/mine': 'DO_NOT_TRUST', '/wt/g': 'TRUST_FOLDER' });
  });
});

describe('questions on a screen (heuristic)', () => {
  it('finds trust, permission menus and y/N prompts with their answers; ordinary output is not a question', () => {
    const trust = detectPrompt(' Accessing workspace:\n Quick safety check: Is this a project you created or one you trust?\n ❯ 1. Yes, I trust this folder\n   2. No, exit\n');
    expect(trust?.detail).toMatch(/trust this folder/);
    expect(trust?.choices).toEqual([{ key: '1', label: 'Yes, I trust this folder' }, { key: '2', label: 'No, exit' }]);
    expect(detectPrompt('  Trust this folder? Codex can read…\n› 1. Trust and continue\n  2. Back\n')?.choices[0]).toEqual({ key: '1', label: 'Trust and continue' });
    expect(detectPrompt('Overwrite? [y/N] ')?.choices.map((c) => c.key)).toEqual(['y', 'n']);
    expect(detectPrompt('Add .aider* to .gitignore (recommended)? (Y)es/(N)o [Yes]: ')?.choices.map((c) => c.key)).toEqual(['y', 'n']);
    expect(detectPrompt('compiling…\nall 12 tests passed\n$ ')).toBeNull();
  });
});

describe('hook events → activity', () => {
  it('maps Claude Code, Codex and Gemini events', () => {
    expect(hookTransition('claude', 'UserPromptSubmit', {})).toEqual({ state: 'working', detail: null });
    expect(hookTransition('claude', 'Stop', {})).toEqual({ state: 'idle', detail: null });
    expect(hookTransition('claude', 'PermissionRequest', { tool_name: 'Bash', tool_input: { command: 'rm x' } })).toEqual({ state: 'waiting', detail: 'permission to use Bash: rm x' });
    expect(hookTransition('claude', 'Notification', { notification_type: 'idle_prompt' })).toBeUndefined();
    expect(hookTransition('codex', 'agent-turn-complete', {})).toEqual({ state: 'idle', detail: null });
    expect(hookTransition('gemini', 'BeforeAgent', {})).toEqual({ state: 'working', detail: null });
    expect(hookTransition('claude', 'SessionEnd', {})).toBeNull();
  });
});

describe('preset environment: secrets never in the database', () => {
  it('keeps an API key in the 0600 secrets file, shows only its last four characters, returns it to the launch', () => {
    const dir = tmp('hive-settings-');
    const db = openDatabase(path.join(dir, 'hive.db'));
    try {
      const s = new SettingsStore(db, path.join(dir, 'secrets.json'));
      s.set({ toolEnv: { preset: 'claude', name: 'ANTHROPIC_API_KEY', value: 'sk-ant-secret-value-9876' } });
      s.set({ toolEnv: { preset: 'claude', name: 'ANTHROPIC_BASE_URL', value: 'http://127.0.0.1:1' } });
      expect(s.get().toolEnv.claude).toEqual({
        ANTHROPIC_API_KEY: { value: null, secret: true, hint: '9876' },
        ANTHROPIC_BASE_URL: { value: 'http://127.0.0.1:1', secret: false, hint: null },
      });
      expect(s.envFor('claude')).toEqual({ ANTHROPIC_API_KEY: 'sk-ant-secret-value-9876', ANTHROPIC_BASE_URL: 'http://127.0.0.1:1' });
      expect(JSON.stringify(db.prepare('SELECT * FROM settings').all())).not.toContain('secret-value');
      expect(statSync(path.join(dir, 'secrets.json')).mode & 0o777).toBe(0o600);
      s.set({ toolEnv: { preset: 'claude', name: 'ANTHROPIC_API_KEY', value: null } });
      expect(s.envFor('claude')).toEqual({ ANTHROPIC_BASE_URL: 'http://127.0.0.1:1' });
      expect(readFileSync(path.join(dir, 'secrets.json'), 'utf8')).not.toContain('secret-value');
    } finally {
      db.close();
    }
  });
});

describe('gemini in a terminal', () => {
  it('blanks an inherited CI=true / GITHUB_ACTIONS=true (Gemini CLI then runs headless and exits 42 on --resume), keeps what the user configured', () => {
    expect(geminiTerminalEnv({ CI: 'true', GITHUB_ACTIONS: 'true', HOME: '/h' }, {})).toEqual({ CI: '', GITHUB_ACTIONS: '' });
    expect(geminiTerminalEnv({ CI: '1' }, {})).toEqual({});
    expect(geminiTerminalEnv({}, {})).toEqual({});
    expect(geminiTerminalEnv({ CI: 'true' }, { CI: 'true' })).toEqual({});
  });
});
