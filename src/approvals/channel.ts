// The approval channel: how the review service tells reviewers about a request (post a card, or just make it
// available) and keeps what they see current. Every channel (the HTTP API now, Teams next) implements this.
import type { WardenConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { ApprovalBroker, AuditSink } from './broker.js';
import { HTTP_API_CHANNEL, reviewerApiRoutes } from './http/routes.js';
import type { Route } from './http/server.js';
import type { ApprovalRequestView, Reviewer } from './types.js';

/** What a channel reports after notifying: its message id (a card's activity id) and anything needed to update it. */
export interface ChannelNotice {
  messageId?: string;
  details?: Record<string, unknown>;
}

/**
 * A way to reach reviewers. The review service calls `notify` once per pending request (retrying a throw up to three
 * times, then failing the request closed: reviewers who were never told cannot approve in time), then `update` each
 * time the request changes (a question, an answer, a decision, expiry), so a card can be replaced. Implementations
 * must not write to stdout (the service may run inside `warden serve`).
 */
export interface ApprovalChannel {
  /** Recorded as the channel of notifications and of decisions made through it: `http-api`, `teams`, … */
  readonly name: string;
  /** Tells the reviewers about a new pending request. Throws when they could not be told. */
  notify(request: ApprovalRequestView): Promise<ChannelNotice>;
  /** Shows a change to a request that was notified through this channel. Failures are logged, not retried. */
  update?(request: ApprovalRequestView): Promise<void>;
  /** Releases the channel's resources when the service stops. */
  close?(): Promise<void>;
}

/** What a channel factory gets from the review service: its broker connection, the config and the reviewers. */
export interface ChannelContext {
  broker: ApprovalBroker;
  config: WardenConfig;
  reviewers: readonly Reviewer[];
  logger: Logger;
  /** The address the service will listen on (`--host` or `review.host`): a channel may refuse an unsafe one. */
  host?: string;
  /** The audit log, for what a channel does on its own (a Teams conversation registered). */
  audit?: AuditSink;
}

/** A channel and the HTTP routes it serves (the Teams bot's `POST /api/messages`), mounted on the service's server. */
export interface ChannelSetup {
  channel: ApprovalChannel;
  routes?: Route[];
}

/**
 * Builds a channel when the review service starts, once the broker is open. The service takes a list of these, so a
 * new channel (Teams) plugs in without changes to the service.
 */
export type ChannelFactory = (context: ChannelContext) => ChannelSetup | Promise<ChannelSetup>;

/**
 * The reviewers' HTTP API as a channel. Reviewers pull (`GET /api/requests?status=pending`), so notifying only
 * records that the request is available there; there is no card to update.
 */
export function createHttpApiChannel(): ApprovalChannel {
  return {
    name: HTTP_API_CHANNEL,
    notify: () => Promise.resolve({ details: { delivery: 'pull', endpoint: '/api/requests' } }),
  };
}

/** The HTTP API channel with its routes: `GET /api/requests[/:id]`, `POST /api/requests/:id/decision`. */
export const httpApiChannel: ChannelFactory = ({ broker }) => ({
  channel: createHttpApiChannel(),
  routes: reviewerApiRoutes(broker),
});

export { HTTP_API_CHANNEL };
