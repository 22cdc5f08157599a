import { createHmac } from 'node:crypto';

/**
 * The API token an agent in a Docker container gets instead of the host's: derived from the host's token and
 * the agent's name (nothing stored), good only with `x-hive-actor: agent:<name>` and only for the channels an
 * agent's own tooling calls. With the host's token a container could spawn a host agent with any command line,
 * change the check command or add an engine: run anything on the host, out of its sandbox. Agents on the host
 * (tmux, process) run as the user anyway and keep the full token (an orchestrating agent may spawn others).
 */
export function agentToken(hostToken: string, name: string): string {
  return createHmac('sha256', hostToken).update(`hive-agent:${name}`).digest('base64url');
}

/** What an agent token may call: its heartbeat, hooks, messages, memory, checkpoints, intents, and reads. */
export const AGENT_CHANNELS: ReadonlySet<string> = new Set([
  'agents:heartbeat',
  'agents:hook',
  'agents:get',
  'agents:list',
  'events:list',
  'bus:state',
  'msg:send',
  'msg:inbox',
  'msg:ack',
  'msg:list',
  'msg:pane',
  'memory:get',
  'memory:set',
  'memory:save',
  'snapshots:checkpoint',
  'intent:claim',
  'intent:release',
  'intent:list',
  'conflicts:list',
  'conflicts:get',
  'conflicts:preflight',
]);
