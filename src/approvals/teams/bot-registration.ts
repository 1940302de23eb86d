// Registering the conversations cards go to, from Teams: `register [group]` from a reviewer, or the bot being added
// to a team or group chat. The conversation reference is stored in the config database (conversations.ts).
import type { Activity, TurnContext } from 'botbuilder';
import { findReviewer } from '../identity.js';
import type { Reviewer } from '../types.js';
import type { Logger } from '../../log.js';
import type { TeamsBotOptions } from './bot-options.js';
import {
  ANY_GROUP,
  baseConversationId,
  type StoredConversationReference,
  type TeamsConversationStore,
} from './conversations.js';

/** What the bot's handlers work with: the bot's options, its conversation store and the lookup of conversations. */
export interface BotHandlers extends TeamsBotOptions {
  logger: Logger;
  now: () => Date;
  store: TeamsConversationStore;
  lookup: (group: string) => ReturnType<TeamsConversationStore['get']>;
}

/** The configured reviewer behind a Teams user (by Entra object id), if any. */
export function reviewerOf(activity: Activity, reviewers: readonly Reviewer[]): Reviewer | undefined {
  const oid = activity.from?.aadObjectId;
  return typeof oid === 'string' && oid !== '' ? findReviewer(reviewers, 'entraObjectId', oid) : undefined;
}

/** What to keep of the activity's conversation to post there later: no activity id, the channel not the thread. */
function referenceOf(activity: Activity): StoredConversationReference {
  const conversation = activity.conversation;
  const channelData = activity.channelData as { tenant?: { id?: string } } | undefined;
  const reference: StoredConversationReference = {
    channelId: activity.channelId,
    serviceUrl: activity.serviceUrl,
    conversation: { id: baseConversationId(conversation.id) },
  };
  const tenantId = conversation.tenantId ?? channelData?.tenant?.id;
  if (tenantId) reference.conversation.tenantId = tenantId;
  if (conversation.isGroup !== undefined) reference.conversation.isGroup = conversation.isGroup;
  if (conversation.conversationType) reference.conversation.conversationType = conversation.conversationType;
  if (conversation.name) reference.conversation.name = conversation.name;
  if (activity.recipient?.id) {
    reference.bot = { id: activity.recipient.id };
    if (activity.recipient.name) reference.bot.name = activity.recipient.name;
  }
  return reference;
}

function registerHere(
  context: TurnContext,
  group: string,
  reviewer: Reviewer,
  handlers: BotHandlers,
): string {
  const activity = context.activity;
  const reference = referenceOf(activity);
  handlers.store.register({
    group,
    reference,
    ...(reference.conversation.tenantId ? { tenantId: reference.conversation.tenantId } : {}),
    registeredBy: `${reviewer.id} (${activity.from.aadObjectId})`,
    registeredAt: handlers.now().toISOString(),
  });
  handlers.audit?.append({
    type: 'teams.conversation_registered',
    data: {
      group,
      conversationId: reference.conversation.id,
      tenantId: reference.conversation.tenantId ?? null,
      serviceUrl: reference.serviceUrl,
      reviewerId: reviewer.id,
      entraObjectId: activity.from.aadObjectId ?? null,
    },
  });
  handlers.logger.info(
    `teams: ${reviewer.id} registered conversation ${reference.conversation.id} for ${group === ANY_GROUP ? 'every group' : `group ${group}`}`,
  );
  const override = Object.hasOwn(handlers.teams.conversations, group)
    ? ` Note: teams.conversations in the config names another conversation for ${group === ANY_GROUP ? '"*"' : group}, and the config wins.`
    : '';
  return group === ANY_GROUP
    ? `Warden will post approval requests here for every group without a conversation of its own.${override}`
    : `Warden will post approval requests for group ${group} here.${override}`;
}

/** `register [group]`: a configured reviewer (a member of the group, when one is named) points a group here. */
export async function onRegister(context: TurnContext, handlers: BotHandlers): Promise<void> {
  const text = (context.activity.text ?? '').trim();
  const match = /^register(?:\s+(\S+))?\s*$/i.exec(text);
  if (!match) {
    await context.sendActivity(
      'Send "register" (every group without a conversation of its own) or "register <group>".',
    );
    return;
  }
  const group = match[1] ?? ANY_GROUP;
  const groups = Object.keys(handlers.groups);
  if (group !== ANY_GROUP && !Object.hasOwn(handlers.groups, group)) {
    await context.sendActivity(
      `There is no group "${group}" in Warden's config (groups: ${groups.join(', ') || 'none'}). Nothing was registered.`,
    );
    return;
  }
  const reviewer = reviewerOf(context.activity, handlers.reviewers);
  // Security: only reviewers decide where approval requests (and their arguments) are shown.
  if (!reviewer) {
    await context.sendActivity(
      'Only a Warden reviewer can register a conversation (your Entra object id is not under reviewers: in the config). Nothing was registered.',
    );
    return;
  }
  if (group !== ANY_GROUP && !handlers.groups[group]!.includes(reviewer.id)) {
    await context.sendActivity(
      `Only a member of group ${group} can register it here. Nothing was registered.`,
    );
    return;
  }
  await context.sendActivity(registerHere(context, group, reviewer, handlers));
}

/**
 * The bot added to a team or group chat: when no conversation takes every group yet and a reviewer added it, this one
 * does; otherwise it says how to register. Personal chats are never registered by installing.
 */
export async function onMembersAdded(context: TurnContext, handlers: BotHandlers): Promise<void> {
  const activity = context.activity;
  const botId = activity.recipient?.id;
  if (!botId || !(activity.membersAdded ?? []).some((member) => member.id === botId)) return;
  if (activity.conversation?.conversationType === 'personal') return;
  const reviewer = reviewerOf(activity, handlers.reviewers);
  if (handlers.lookup(ANY_GROUP) === undefined && reviewer) {
    await context.sendActivity(registerHere(context, ANY_GROUP, reviewer, handlers));
    return;
  }
  await context.sendActivity(
    'Hello, I am Warden: I post approval requests for AI agents. A reviewer can send "register <group>" to have that group\'s requests posted here.',
  );
}
