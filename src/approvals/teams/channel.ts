// The Teams approval channel: posts a request's card to the conversations of its reviewer groups and replaces it as
// the request changes. Posting and updating go through the bot (continueConversationAsync); this file decides what
// goes where and remembers it (request, conversation, activity id, nonce) with the notification.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApprovalBroker } from '../broker.js';
import type { ApprovalChannel, ChannelNotice } from '../channel.js';
import { WardenError, errorMessage } from '../../errors.js';
import { SILENT_LOGGER, type Logger } from '../../log.js';
import type { ApprovalRequestView, Reviewer } from '../types.js';
import { MAX_REFRESH_USERS, buildApprovalCard, type AdaptiveCard } from './cards.js';
import { checkServiceUrl, checkTenant, type TeamsConfig } from './config.js';
import {
  baseConversationId,
  pickConversations,
  reviewerGroups,
  type StoredConversationReference,
  type TeamsConversation,
} from './conversations.js';

/** The channel name recorded on notifications and on decisions made in Teams. */
export const TEAMS_CHANNEL = 'teams';

/** An Adaptive Card as JSON (cards.ts builds them). */
export type CardJson = AdaptiveCard;

/** One card posted: where, and its activity id (to replace it later). */
export interface TeamsPost {
  group: string;
  conversationId: string;
  serviceUrl: string;
  activityId: string;
  reference: StoredConversationReference;
}

/** What the channel stores with the notification (`approval_notifications.details`). */
export interface TeamsNoticeDetails {
  /** The first post's conversation and service URL (the others are in `posts`). */
  conversationId: string;
  serviceUrl: string;
  /** Carried by the card's actions; a click whose nonce differs is refused. */
  nonce: string;
  posts: TeamsPost[];
}

/** A message activity carrying one Adaptive Card. */
export interface CardActivity {
  type: 'message';
  id?: string;
  summary?: string;
  attachments: Array<{ contentType: string; content: CardJson }>;
}

/** What the channel needs from the bot: post an activity into a conversation, and replace one. */
export interface TeamsDelivery {
  /** Posts `activity`; resolves with the new activity's id. */
  post(reference: StoredConversationReference, activity: CardActivity): Promise<string>;
  /** Replaces the activity `activityId` with `activity`. */
  replace(reference: StoredConversationReference, activityId: string, activity: CardActivity): Promise<void>;
}

export interface TeamsChannelOptions {
  teams: TeamsConfig;
  broker: ApprovalBroker;
  reviewers: readonly Reviewer[];
  /** The conversation for a group (or `*`): config first, then registered. */
  lookup(group: string): TeamsConversation | undefined;
  delivery: TeamsDelivery;
  logger?: Logger;
  now?: () => Date;
  /** Runs when the channel closes (the bot's conversation store). */
  onClose?: () => void | Promise<void>;
}

/** The card as a message activity. */
export function cardActivity(card: CardJson, request: ApprovalRequestView, id?: string): CardActivity {
  const activity: CardActivity = {
    type: 'message',
    summary: `Approval ${request.status === 'pending' ? 'needed' : request.status}: ${request.exposedName}`,
    attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: card }],
  };
  if (id !== undefined) activity.id = id;
  return activity;
}

/** The Entra object ids of the request's reviewers (who get the buttons through `refresh`). */
export function reviewerEntraIds(request: ApprovalRequestView, reviewers: readonly Reviewer[]): string[] {
  const byId = new Map(reviewers.map((r) => [r.id, r]));
  return request.reviewers
    .map((id) => byId.get(id)?.entraObjectId)
    .filter((oid): oid is string => typeof oid === 'string' && oid !== '')
    .slice(0, MAX_REFRESH_USERS);
}

function cardContext(request: ApprovalRequestView, nonce: string, reviewers: readonly Reviewer[], now: Date) {
  return {
    now,
    nonce,
    reviewerEntraIds: reviewerEntraIds(request, reviewers),
    reviewers,
    ...(request.ranMs !== undefined ? { ranInMs: request.ranMs } : {}),
  };
}

/** The card a reviewer of the request sees: the comment box and buttons while it is pending, the outcome after. */
export function reviewerCard(
  request: ApprovalRequestView,
  nonce: string,
  reviewers: readonly Reviewer[],
  now: Date,
): CardJson {
  return buildApprovalCard(request, cardContext(request, nonce, reviewers, now));
}

/**
 * The card posted for everyone: read-only, with `refresh` so that Teams fetches the buttons for the reviewers only
 * (warden.refresh); the outcome once the request is final.
 */
export function everyoneCard(
  request: ApprovalRequestView,
  nonce: string,
  reviewers: readonly Reviewer[],
  now: Date,
): CardJson {
  return buildApprovalCard(request, { ...cardContext(request, nonce, reviewers, now), readOnly: true });
}

/** The latest Teams notification of a request, when its details are ours. */
export function readTeamsNotice(
  broker: ApprovalBroker,
  requestId: string,
): { messageId: string; details: TeamsNoticeDetails } | undefined {
  const notice = broker
    .notifications(requestId)
    .filter((n) => n.channel === TEAMS_CHANNEL)
    .at(-1);
  const details = notice?.details as Partial<TeamsNoticeDetails> | undefined;
  if (!notice || typeof details?.nonce !== 'string' || !Array.isArray(details.posts)) return undefined;
  return { messageId: notice.messageId, details: details as TeamsNoticeDetails };
}

/** Whether `given` is the notification's nonce, compared in constant time. */
export function nonceMatches(expected: string, given: unknown): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(given, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Whether one of the card's posts is in this conversation (a channel thread counts as its channel). */
export function postedIn(details: TeamsNoticeDetails, conversationId: string | undefined): boolean {
  if (typeof conversationId !== 'string') return false;
  const base = baseConversationId(conversationId);
  return details.posts.some((post) => baseConversationId(post.conversationId) === base);
}

/**
 * The Teams channel. `notify` posts the card to each conversation the request's groups map to (throwing when there
 * is none, or when every post failed, so the service retries and then fails the request closed); `update` replaces
 * every posted card with the request's current state.
 */
export function createTeamsApprovalChannel(options: TeamsChannelOptions): ApprovalChannel {
  const { teams, broker, reviewers, delivery } = options;
  const logger = options.logger ?? SILENT_LOGGER;
  const now = options.now ?? (() => new Date());

  /** Security: the bot's token goes only to allow-listed hosts, and only into conversations of our tenant. */
  const checkTarget = (reference: StoredConversationReference): string | undefined => {
    const url = checkServiceUrl(reference.serviceUrl, teams.serviceUrls);
    if (!url.ok) return url.reason;
    const tenant = checkTenant(reference, teams.tenantId);
    if (!tenant.ok && reference.conversation.tenantId !== undefined) return tenant.reason;
    return undefined;
  };

  return {
    name: TEAMS_CHANNEL,

    async notify(request: ApprovalRequestView): Promise<ChannelNotice> {
      const targets = pickConversations(request.reviewerSpecs, options.lookup);
      if (targets.length === 0) {
        const groups = reviewerGroups(request.reviewerSpecs);
        const which = groups.length > 0 ? `group ${groups.join(', ')} or "*"` : '"*"';
        throw new WardenError(
          'USAGE',
          `no Teams conversation is registered for ${which}: add the bot to the reviewers' team or chat and send it "register${groups.length === 1 ? ` ${groups[0]}` : ''}", or name one under teams.conversations`,
        );
      }
      const nonce = randomBytes(18).toString('base64url');
      const activity = cardActivity(everyoneCard(request, nonce, reviewers, now()), request);
      const posts: TeamsPost[] = [];
      const failures: string[] = [];
      for (const target of targets) {
        const where = `${target.group} (${target.reference.conversation.id})`;
        const refused = checkTarget(target.reference);
        if (refused) {
          failures.push(`${where}: ${refused}`);
          continue;
        }
        try {
          const activityId = await delivery.post(target.reference, activity);
          posts.push({
            group: target.group,
            conversationId: target.reference.conversation.id,
            serviceUrl: target.reference.serviceUrl,
            activityId,
            reference: target.reference,
          });
        } catch (error) {
          failures.push(`${where}: ${errorMessage(error)}`);
        }
      }
      const first = posts[0];
      if (!first) throw new Error(`the card could not be posted: ${failures.join('; ')}`);
      if (failures.length > 0) {
        logger.warn(
          `teams: request ${request.id} posted to ${posts.length} of ${targets.length} conversations; ${failures.join('; ')}`,
        );
      }
      const details: TeamsNoticeDetails = {
        conversationId: first.conversationId,
        serviceUrl: first.serviceUrl,
        nonce,
        posts,
      };
      return { messageId: first.activityId, details: { ...details } };
    },

    async update(request: ApprovalRequestView): Promise<void> {
      const notice = readTeamsNotice(broker, request.id);
      if (!notice) return;
      const card = everyoneCard(request, notice.details.nonce, reviewers, now());
      const failures: string[] = [];
      for (const post of notice.details.posts) {
        const refused = checkTarget(post.reference);
        try {
          if (refused) throw new Error(refused);
          await delivery.replace(
            post.reference,
            post.activityId,
            cardActivity(card, request, post.activityId),
          );
        } catch (error) {
          failures.push(`${post.conversationId}: ${errorMessage(error)}`);
        }
      }
      if (failures.length > 0) throw new Error(`the card could not be replaced: ${failures.join('; ')}`);
    },

    async close(): Promise<void> {
      await options.onClose?.();
    },
  };
}
