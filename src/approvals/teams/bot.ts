// The Teams bot (teams-ai v1 on botbuilder): the adapter, the teams-ai application and its routes (registering
// conversations: bot-registration.ts; card actions: bot-actions.ts), `POST /api/messages`, and the Teams approval
// channel posting and replacing cards through continueConversationAsync. Everything Teams-specific stays in this
// folder, behind the ApprovalChannel interface.
import { Application, TeamsAdapter } from '@microsoft/teams-ai';
import type { Activity, ConversationReference } from 'botbuilder';
import type { ApprovalChannel } from '../channel.js';
import type { Route } from '../http/server.js';
import { SILENT_LOGGER, type Logger } from '../../log.js';
import { createBotRoute, type Refusal } from './adapter-http.js';
import { VERB_DECISIONS, onCardAction } from './bot-actions.js';
import { createTeamsAdapter } from './bot-auth.js';
import { onMembersAdded, onRegister, type BotHandlers } from './bot-registration.js';
import type { TeamsBotOptions } from './bot-options.js';
import { createTeamsApprovalChannel, type TeamsDelivery } from './channel.js';
import { checkServiceUrl, checkTeamsStartup, checkTenant, hasAppId, type TeamsConfig } from './config.js';
import {
  configuredConversations,
  openTeamsConversationStore,
  type StoredConversationReference,
  type TeamsConversationStore,
} from './conversations.js';

export type { TeamsBotOptions } from './bot-options.js';

export interface TeamsBot {
  /** `POST /api/messages`, for the review service's server. */
  route: Route;
  app: Application;
  adapter: TeamsAdapter;
  /** The `teams` approval channel; closing it closes the conversation store. */
  channel: ApprovalChannel;
  conversations: TeamsConversationStore;
}

/**
 * Builds the bot: checks the settings (refusing local-only mode off loopback, warning loudly in it), the adapter
 * with its authentication, the conversation store, the teams-ai application with its handlers, the route and the
 * channel. Throws WardenError on unsafe or incomplete settings.
 */
export function createTeamsBot(options: TeamsBotOptions): TeamsBot {
  const { teams } = options;
  const logger = options.logger ?? SILENT_LOGGER;
  const now = options.now ?? (() => new Date());
  checkTeamsStartup(teams, options.host, logger);
  const adapter = createTeamsAdapter(teams);
  const appId = hasAppId(teams) ? teams.appId!.trim() : '';
  const store = openTeamsConversationStore(options.database);
  try {
    return assemble({ ...options, logger, now }, adapter, appId, store);
  } catch (error) {
    store.close();
    throw error;
  }
}

function assemble(
  options: TeamsBotOptions & { logger: Logger; now: () => Date },
  adapter: TeamsAdapter,
  appId: string,
  store: TeamsConversationStore,
): TeamsBot {
  const { teams, broker, reviewers, logger, now } = options;
  const configured = configuredConversations(teams.conversations, appId ? `28:${appId}` : undefined);
  const lookup = (group: string) => configured.find((c) => c.group === group) ?? store.get(group);

  const channel = createTeamsApprovalChannel({
    teams,
    broker,
    reviewers,
    lookup,
    delivery: createDelivery(adapter, appId, teams),
    logger,
    now,
    onClose: () => store.close(),
  });

  const app = new Application({
    adapter,
    ...(appId ? { botAppId: appId } : {}),
    startTypingTimer: false,
    removeRecipientMention: true,
    longRunningMessages: false,
  });
  const handlers: BotHandlers = { ...options, store, lookup };
  app.message(/^\s*register\b/i, (context) => onRegister(context, handlers));
  app.conversationUpdate('membersAdded', (context) => onMembersAdded(context, handlers));
  app.activity('message', async (context) => {
    await context.sendActivity(
      'I post approval requests for Warden here. A reviewer can send "register" (every group without a conversation of its own) or "register <group>".',
    );
  });
  app.adaptiveCards.actionExecute(Object.keys(VERB_DECISIONS), async (context, _state, data) => {
    await onCardAction(context, data, handlers);
    return '';
  });

  const route = createBotRoute({
    adapter,
    run: (context) => app.run(context),
    admit: (activity) => admitActivity(activity, teams),
    logger,
  });
  return { route, app, adapter, channel, conversations: store };
}

/**
 * Posting and replacing cards through the adapter (continueConversationAsync to the stored reference). Security:
 * nothing, the bot's token included, is sent to a service URL off the allow-list.
 */
function createDelivery(adapter: TeamsAdapter, appId: string, teams: TeamsConfig): TeamsDelivery {
  const allowed = (reference: StoredConversationReference): Partial<ConversationReference> => {
    const verdict = checkServiceUrl(reference.serviceUrl, teams.serviceUrls);
    if (!verdict.ok) throw new Error(`refusing to call ${reference.serviceUrl}: ${verdict.reason}`);
    return reference as Partial<ConversationReference>;
  };
  return {
    async post(reference, activity) {
      let id: string | undefined;
      await adapter.continueConversationAsync(appId, allowed(reference), async (context) => {
        // A new post (sendToConversation; in a channel, a new thread), not a reply to the continuation event's
        // made-up id, which botbuilder would otherwise put in replyToId.
        context.onSendActivities(async (_context, activities, next) => {
          for (const outgoing of activities) delete outgoing.replyToId;
          return next();
        });
        id = (await context.sendActivity(activity))?.id;
      });
      if (!id) throw new Error('the Bot Connector returned no activity id');
      return id;
    },
    async replace(reference, activityId, activity) {
      await adapter.continueConversationAsync(appId, allowed(reference), async (context) => {
        await context.updateActivity({ ...activity, id: activityId });
      });
    },
  };
}

/**
 * Security: checks every authenticated activity before the bot acts on it or answers it: Teams only, from the
 * configured tenant, and with a service URL the bot may send its token to.
 */
export function admitActivity(activity: Activity, teams: TeamsConfig): Refusal | undefined {
  if (activity.channelId !== 'msteams') {
    return {
      status: 403,
      reason: `channel ${String(activity.channelId)} is not served; Warden's bot is for Microsoft Teams (msteams)`,
    };
  }
  const tenant = checkTenant(activity, teams.tenantId);
  if (!tenant.ok) return { status: 403, reason: tenant.reason };
  const url = checkServiceUrl(activity.serviceUrl, teams.serviceUrls);
  if (!url.ok) return { status: 403, reason: url.reason };
  return undefined;
}
