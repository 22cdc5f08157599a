import type { Agent } from '../../../shared/contract/index';
import { formatDurationCoarse } from '../lib/format-duration';
import { ClockText } from '../lib/use-now';

type Activity = NonNullable<Agent['activity']>;

const LABEL: Record<Activity['state'], string> = { working: 'working', idle: 'idle', waiting: 'waiting for you' };

/**
 * What a running agent is doing, with the time in that state. From the tool's own hooks, or — labelled
 * "screen" — read off its terminal where the tool reports nothing (a heuristic).
 */
export function ActivityChip({ state, since, source, compact }: { state: Activity['state']; since: string; source: Activity['source']; compact?: boolean }) {
  const start = Date.parse(since);
  const how = source === 'screen' ? 'read off its screen (heuristic)' : "from the agent's own hooks";
  // The fleet's status column is narrow: "waiting" there, the whole sentence in the tooltip and on its page.
  const label = compact && state === 'waiting' ? 'waiting' : LABEL[state];
  return (
    <span className={`activity-chip activity-${state}`} title={`${LABEL[state]} — ${how}`} data-activity={state}>
      {label} <ClockText derive={(now) => formatDurationCoarse(Math.max(0, now - start))} />
      {source === 'screen' && !compact && <span className="activity-source"> · screen</span>}
    </span>
  );
}
