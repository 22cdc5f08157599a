/** Agent names become tmux session names, branch names and directory names: keep them boring. */
export const AGENT_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export function agentNameProblem(name: string): string | null {
  if (name.length === 0) return 'The agent name is empty. Use letters, digits, "-" and "_".';
  if (name.length > 64) return `The agent name is ${name.length} characters long; use at most 64.`;
  if (!AGENT_NAME_PATTERN.test(name)) {
    return `The agent name ${JSON.stringify(name)} is not allowed. Use letters, digits, "-" and "_", starting with a letter or digit.`;
  }
  return null;
}

/**
 * Names an agent may not take: "hive" is the host itself (its log is logs/hive.log beside the agents'
 * logs/<name>.log, and it sends messages as "hive").
 */
export const RESERVED_AGENT_NAMES: ReadonlySet<string> = new Set(['hive']);

/** As agentNameProblem, and also refuses the reserved names: for new agents. */
export function newAgentNameProblem(name: string): string | null {
  if (RESERVED_AGENT_NAMES.has(name.toLowerCase())) return `The agent name ${JSON.stringify(name)} is reserved for Agent Hive itself; choose another.`;
  return agentNameProblem(name);
}
