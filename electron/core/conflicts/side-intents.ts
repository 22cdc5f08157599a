import type { SideIntent } from '../../../shared/contract/conflicts.js';
import type { Git } from '../git/git.js';

const SEP = '\u001f';
const END = '\u001e';

/** What each side meant: the Hive-Agent / Hive-Task / Hive-Intent trailers of the commits that touched the file. */
export async function sideIntent(git: Git, cwd: string, base: string, head: string, file: string): Promise<SideIntent> {
  const fmt = ['%H', '%s', 'Hive-Agent', 'Hive-Task', 'Hive-Intent']
    .map((k) => (k.startsWith('Hive-') ? `%(trailers:key=${k},valueonly,separator=%x2c)` : k))
    .join('%x1f');
  const r = await git.run(cwd, ['log', `--format=${fmt}%x1e`, '-n', '20', `${base}..${head}`, '--', file], { allowFailure: true });
  const out: SideIntent = { agent: null, task: null, intent: null, commits: [] };
  if (r.code !== 0) return out;
  for (const rec of r.stdout.split(END)) {
    const [sha, subject, agent, task, intent] = rec.replace(/^\n/, '').split(SEP).map((s) => s.trim());
    if (!sha) continue;
    out.commits.push({ sha, subject: subject ?? '' });
    out.agent ??= agent || null;
    out.task ??= task || null;
    out.intent ??= intent || null;
  }
  return out;
}
