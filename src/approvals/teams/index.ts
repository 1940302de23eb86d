// Public surface of the Teams channel: the channel factory the review service uses, the bot, the conversation store
// and the checks on the bot's settings. Importing this loads teams-ai and botbuilder (slow): the review service
// imports `teamsChannel` from ./factory.js instead, which loads the bot only when Teams is configured.
export { createTeamsBot, admitActivity } from './bot.js';
export { VERB_DECISIONS, onCardAction } from './bot-actions.js';
export { onMembersAdded, onRegister, reviewerOf } from './bot-registration.js';
export type { BotHandlers } from './bot-registration.js';
export type { TeamsBot, TeamsBotOptions } from './bot.js';
export { botFrameworkSettings, createTeamsAdapter } from './bot-auth.js';
export { createBotRoute, adaptResponse, MAX_ACTIVITY_BYTES } from './adapter-http.js';
export type {
  AdapterRequest,
  AdapterResponse,
  BotRouteOptions,
  ProcessingAdapter,
  Refusal,
} from './adapter-http.js';
export {
  TEAMS_CHANNEL,
  cardActivity,
  createTeamsApprovalChannel,
  everyoneCard,
  nonceMatches,
  postedIn,
  readTeamsNotice,
  reviewerCard,
  reviewerEntraIds,
} from './channel.js';
export { teamsChannel } from './factory.js';
export type {
  CardActivity,
  CardJson,
  TeamsChannelOptions,
  TeamsDelivery,
  TeamsNoticeDetails,
  TeamsPost,
} from './channel.js';
export {
  activityTenants,
  checkServiceUrl,
  checkTeamsStartup,
  checkTenant,
  hasAppId,
  isLoopbackHost,
} from './config.js';
export type { ActivityScope, ServiceUrlVerdict, TeamsConfig } from './config.js';
export {
  ANY_GROUP,
  TeamsConversationStore,
  baseConversationId,
  configuredConversations,
  conversationKey,
  openTeamsConversationStore,
  pickConversations,
  reviewerGroups,
} from './conversations.js';
export type { StoredConversationReference, TeamsConversation } from './conversations.js';
