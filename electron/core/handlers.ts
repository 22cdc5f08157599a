import type { ChannelName, ParsedReq, Res } from '../../shared/contract/index.js';

/** Who made a call: shown in the events table as the actor. */
export interface CallContext {
  actor: string;
  /** Aborted when the caller is gone (its HTTP connection closed before the answer): a long-poll stops waiting. */
  signal?: AbortSignal;
}

export type Handler<C extends ChannelName> = (req: ParsedReq<C>, ctx: CallContext) => Promise<Res<C>> | Res<C>;
export type HandlerMap<K extends ChannelName> = { [C in K]: Handler<C> };
export type AllHandlers = HandlerMap<ChannelName>;
