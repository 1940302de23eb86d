// Decisions from the approval card: Action.Execute invokes (`adaptiveCard/action`) carrying only the request id and
// the notification's nonce (plus the comment input), mapped to a configured reviewer by Entra object id and decided
// by the broker's rules. Accepted: the card is replaced for everyone; refused: a message to the clicker only.
import type { TurnContext } from 'botbuilder';
import type { DecisionIdentity, DecisionKind, ApprovalRequestView, Reviewer } from '../types.js';
import { errorMessage } from '../../errors.js';
import { reviewerOf, type BotHandlers } from './bot-registration.js';
import {
  TEAMS_CHANNEL,
  cardActivity,
  everyoneCard,
  nonceMatches,
  postedIn,
  readTeamsNotice,
  reviewerCard,
  type CardJson,
  type TeamsNoticeDetails,
} from './channel.js';
import { CARD_VERBS, type CardVerb } from './cards.js';

/** What each card verb does (cards.ts puts the verbs on the buttons and on `refresh`). */
export const VERB_DECISIONS: Readonly<Record<CardVerb, DecisionKind | 'refresh'>> = {
  [CARD_VERBS.approve]: 'approve',
  [CARD_VERBS.reject]: 'reject',
  [CARD_VERBS.ask]: 'ask',
  [CARD_VERBS.refresh]: 'refresh',
};

const CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';
const MESSAGE_CONTENT_TYPE = 'application/vnd.microsoft.activity.message';

/** Answers the card action to the clicker only: an Adaptive Card (their view) or a message. */
async function respond(
  context: TurnContext,
  answer: { card: CardJson } | { message: string },
): Promise<void> {
  const body =
    'card' in answer
      ? { statusCode: 200, type: CARD_CONTENT_TYPE, value: answer.card }
      : { statusCode: 200, type: MESSAGE_CONTENT_TYPE, value: answer.message };
  await context.sendActivity({ type: 'invokeResponse', value: { status: 200, body } });
}

/** Why a card click was refused, in the clicker's words. */
function refusalText(result: { code: string; message: string }, reviewer: Reviewer | undefined): string {
  if (result.code === 'forbidden' && result.message.includes('is the requester')) {
    return 'Not done: you asked for this call, so someone else must decide it (separation of duties). Nothing was changed.';
  }
  if (!reviewer && result.code === 'forbidden') {
    return 'Not done: you are not a Warden reviewer (your Entra object id is not under reviewers: in the config). Nothing was changed.';
  }
  return `Not done: ${result.message}. Nothing was changed.`;
}

/**
 * A button on the card (or Teams refreshing it). Everything but the request id and the nonce comes from the database;
 * the clicker is `from.aadObjectId`, mapped to a configured reviewer, and the decision goes through the broker's
 * rules. Accepted: the card is replaced for everyone and the clicker gets their view. Refused: a message to the
 * clicker only, and nothing changes.
 */
export async function onCardAction(
  context: TurnContext,
  data: Record<string, unknown>,
  handlers: BotHandlers,
): Promise<void> {
  const { broker, reviewers, logger } = handlers;
  const activity = context.activity;
  const verb = (activity.value as { action?: { verb?: unknown } } | undefined)?.action?.verb as CardVerb;
  const requestId = typeof data.requestId === 'string' ? data.requestId : '';
  const request = requestId === '' ? undefined : broker.get(requestId);
  const notice = request && readTeamsNotice(broker, request.id);
  if (
    !request ||
    !notice ||
    !nonceMatches(notice.details.nonce, data.nonce) ||
    !postedIn(notice.details, activity.conversation?.id)
  ) {
    logger.warn(
      `teams: refused ${verb} on ${requestId || '(no request id)'}: unknown request, or a card that was not posted here`,
    );
    await respond(context, {
      message:
        'Not done: this card does not match an approval request Warden posted here. Nothing was changed.',
    });
    return;
  }
  const nonce = notice.details.nonce;
  const oid = activity.from?.aadObjectId;
  const reviewer = reviewerOf(activity, reviewers);
  const at = handlers.now();
  const decision = VERB_DECISIONS[verb];
  if (decision === 'refresh') {
    const decides =
      reviewer !== undefined && request.status === 'pending' && request.reviewers.includes(reviewer.id);
    await respond(context, {
      card: decides
        ? reviewerCard(request, nonce, reviewers, at)
        : everyoneCard(request, nonce, reviewers, at),
    });
    return;
  }
  if (typeof oid !== 'string' || oid === '') {
    await respond(context, {
      message: 'Not done: Teams did not say who you are (no Entra object id). Nothing was changed.',
    });
    return;
  }
  const identity: DecisionIdentity = {
    // An unknown user still goes through the broker, so the refused attempt is in the audit log.
    reviewerId: reviewer?.id ?? `teams:${oid}`,
    kind: 'entraObjectId',
    value: oid,
    channel: TEAMS_CHANNEL,
  };
  const comment = typeof data.comment === 'string' ? data.comment : '';
  const result = broker.decide(request.id, identity, decision, comment);
  if (!result.ok) {
    await respond(context, { message: refusalText(result, reviewer) });
    return;
  }
  await replaceForEveryone(context, result.request, notice.details, handlers);
  const view: CardJson =
    result.request.status === 'pending'
      ? reviewerCard(result.request, nonce, reviewers, handlers.now())
      : everyoneCard(result.request, nonce, reviewers, handlers.now());
  await respond(context, { card: view });
}

/**
 * Replaces the clicked card for everyone in the conversation, when it is one the channel posted (the service also
 * updates the other posts on its next pass).
 */
async function replaceForEveryone(
  context: TurnContext,
  request: ApprovalRequestView,
  details: TeamsNoticeDetails,
  handlers: BotHandlers,
): Promise<void> {
  const cardId = context.activity.replyToId;
  if (!cardId || !details.posts.some((post) => post.activityId === cardId)) return;
  try {
    const card = everyoneCard(request, details.nonce, handlers.reviewers, handlers.now());
    await context.updateActivity(cardActivity(card, request, cardId));
  } catch (error) {
    // The decision stands; the review service replaces the card on its next pass.
    handlers.logger.warn(`teams: replacing the card of request ${request.id} failed: ${errorMessage(error)}`);
  }
}
