// The Teams channel factory the review service uses when `config.teams` is set. It lives apart from the bot so
// that nothing loads teams-ai and botbuilder (slow) unless Teams is configured.
import type { ChannelFactory } from '../channel.js';
import { WardenError } from '../../errors.js';

/**
 * The Teams channel for the review service, when `config.teams` is set. The bot (teams-ai and botbuilder, slow to
 * load) is imported only here, so `warden serve` without Teams never loads it. Its route is `POST /api/messages`.
 */
export const teamsChannel: ChannelFactory = async (context) => {
  const teams = context.config.teams;
  if (!teams) throw new WardenError('USAGE', 'the Teams channel needs a teams: section in the config');
  const { createTeamsBot } = await import('./bot.js');
  const bot = createTeamsBot({
    teams,
    broker: context.broker,
    reviewers: context.reviewers,
    groups: context.config.groups,
    database: context.config.database,
    host: context.host ?? context.config.review.host,
    logger: context.logger,
    ...(context.audit ? { audit: context.audit } : {}),
  });
  return { channel: bot.channel, routes: [bot.route] };
};
