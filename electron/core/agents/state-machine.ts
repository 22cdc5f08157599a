import type { HiveEvent } from '../../../shared/contract/events.js';
import { HiveError } from '../../../shared/errors.js';
import { canTransition, TRANSITIONS, type AgentStatus } from '../../../shared/lifecycle.js';
import type { EventLog } from '../events/event-log.js';
import type { Clock } from '../ports/clock.js';
import { Emitter } from '../ports/disposable.js';
import type { Db } from '../store/database.js';
import { publicAgent, type AgentPatch, type AgentRecord, type AgentRepo } from './agent-repo.js';

export interface TransitionRequest {
  name: string;
  to: AgentStatus;
  cause: string;
  actor?: string;
  /** Only transition from one of these (guards against racing actors); default: any legal source. */
  from?: AgentStatus[];
  patch?: AgentPatch;
  data?: Record<string, unknown>;
  /** Extra statements to run in the same transaction (e.g. insert a snapshot row). */
  alsoInTransaction?: () => void;
}

export interface StatusChange {
  agent: AgentRecord;
  event: HiveEvent;
}

/**
 * Applies lifecycle transitions. Each one is a single IMMEDIATE transaction that checks the table in
 * shared/lifecycle.ts, updates the row and appends the event; an illegal transition throws and changes nothing.
 */
export class StateMachine {
  private readonly onDidChangeEmitter = new Emitter<StatusChange>();
  readonly onDidChange = this.onDidChangeEmitter.event;

  constructor(
    private readonly db: Db,
    private readonly repo: AgentRepo,
    private readonly events: EventLog,
    private readonly clock: Clock,
  ) {}

  transition(req: TransitionRequest): StatusChange {
    let result: StatusChange | undefined;
    let committed = false;
    try {
      this.db
        .transaction(() => {
          const current = this.repo.get(req.name);
          const from = current.status;
          if ((req.from && !req.from.includes(from)) || !canTransition(from, req.to)) {
            throw new HiveError(
              'ILLEGAL_TRANSITION',
              `Agent ${req.name} is ${from}; it cannot go to ${req.to}` +
                (req.from ? ` (this action needs it to be ${req.from.join(' or ')})` : '') +
                `. From ${from} it can go to: ${TRANSITIONS[from].join(', ') || 'nowhere'}.`,
            );
          }
          const at = this.clock.iso();
          this.repo.setStatus(req.name, req.to, at, req.patch);
          req.alsoInTransaction?.();
          const event = this.events.append({
            agent: req.name,
            kind: 'status',
            from,
            to: req.to,
            cause: req.cause,
            actor: req.actor ?? 'system',
            data: req.data ?? null,
          });
          result = { agent: this.repo.get(req.name), event };
        })
        .immediate();
      committed = true;
    } finally {
      this.events.flush(committed);
    }
    this.onDidChangeEmitter.fire(result!);
    return result!;
  }

  /** Records an action or fact that is not a status change (heartbeat misses, input sent, ...). */
  record(name: string | null, kind: string, cause: string, actor = 'system', data?: Record<string, unknown>): HiveEvent {
    return this.events.append({ agent: name, kind, cause, actor, data: data ?? null });
  }

  static publicAgent = publicAgent;
}
