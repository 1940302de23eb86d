// The Teams bot's settings checked where they are used: which service URLs may receive the bot's token, whose
// activities are accepted (the tenant), and whether running without an app id is allowed on this address. Pure
// functions, no botbuilder import, so the review service can check them before loading the bot.
import { isIP } from 'node:net';
import type { TeamsConfig } from '../../config/schema.js';
import { WardenError } from '../../errors.js';
import type { Logger } from '../../log.js';

export type { TeamsConfig } from '../../config/schema.js';

/** The parts of an activity these checks read (a botbuilder `Activity` fits). */
export interface ActivityScope {
  serviceUrl?: string;
  conversation?: { id?: string; tenantId?: string };
  channelData?: unknown;
}

/** Whether the app id is set (after `${VAR}` interpolation an unset one is an empty string). */
export function hasAppId(teams: Pick<TeamsConfig, 'appId'>): boolean {
  return (teams.appId ?? '').trim() !== '';
}

/** True for addresses only this machine can reach: 127.0.0.0/8, ::1, localhost. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost' || bare === '::1' || bare === '0:0:0:0:0:0:0:1') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(bare)?.[1];
  return mapped !== undefined && mapped.startsWith('127.');
}

/** The verdict on a service URL: allowed, or why not (for the log and the refusal). */
export type ServiceUrlVerdict = { ok: true } | { ok: false; reason: string };

/**
 * Whether the bot may call `serviceUrl` (and so send it its token). The host must match an entry of `hosts`
 * (`teams.serviceUrls`): equal, or for `*.example.com` any subdomain of example.com. HTTPS is required; plain HTTP
 * only for a loopback host (a local stand-in in tests).
 */
export function checkServiceUrl(serviceUrl: string | undefined, hosts: readonly string[]): ServiceUrlVerdict {
  if (typeof serviceUrl !== 'string' || serviceUrl === '') {
    return { ok: false, reason: 'the activity has no serviceUrl' };
  }
  let url: URL;
  try {
    url = new URL(serviceUrl);
  } catch {
    return { ok: false, reason: `serviceUrl ${JSON.stringify(serviceUrl)} is not a URL` };
  }
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(host))) {
    return { ok: false, reason: `serviceUrl ${url.origin} is not HTTPS` };
  }
  if (url.username !== '' || url.password !== '') {
    return { ok: false, reason: `serviceUrl ${url.origin} carries credentials` };
  }
  const matches = hosts.some((entry) => {
    const pattern = entry.replace(/^\[|\]$/g, '').toLowerCase();
    if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1;
    return host === pattern;
  });
  if (!matches) {
    return {
      ok: false,
      reason: `serviceUrl host ${host} is not in teams.serviceUrls (${hosts.join(', ')})`,
    };
  }
  return { ok: true };
}

/** The tenant ids an activity names (`channelData.tenant.id`, `conversation.tenantId`), without duplicates. */
export function activityTenants(activity: ActivityScope): string[] {
  const channelData = activity.channelData as { tenant?: { id?: unknown } } | undefined;
  const found = [channelData?.tenant?.id, activity.conversation?.tenantId].filter(
    (id): id is string => typeof id === 'string' && id !== '',
  );
  return [...new Set(found.map((id) => id.toLowerCase()))];
}

/**
 * Whether the activity comes from the configured tenant: every tenant id it names must equal `tenantId` (GUIDs,
 * compared without case), and it must name one. Without a configured tenant (local-only development) any is accepted.
 */
export function checkTenant(activity: ActivityScope, tenantId: string | undefined): ServiceUrlVerdict {
  const wanted = (tenantId ?? '').trim().toLowerCase();
  if (wanted === '') return { ok: true };
  const named = activityTenants(activity);
  if (named.length === 0) return { ok: false, reason: 'the activity names no tenant' };
  const other = named.find((id) => id !== wanted);
  if (other !== undefined) return { ok: false, reason: `tenant ${other} is not the configured tenant` };
  return { ok: true };
}

/**
 * Refuses to start a bot that would be unsafe where it listens, and warns loudly about local-only mode. Without an
 * app id botbuilder authenticates nothing, so that needs `localOnly: true` and a loopback `host`. Conversations named
 * in config must be on allow-listed service URLs. Throws WardenError (USAGE) naming the setting to change.
 */
export function checkTeamsStartup(teams: TeamsConfig, host: string, logger: Logger): void {
  if (!hasAppId(teams) && !teams.localOnly) {
    throw new WardenError(
      'USAGE',
      'teams.appId is empty: without an app id botbuilder accepts every request unauthenticated; set teams.appId, teams.appPassword and teams.tenantId, or teams.localOnly: true for local development',
    );
  }
  if (teams.localOnly && !isLoopbackHost(host)) {
    throw new WardenError(
      'USAGE',
      `teams.localOnly is true but the review service would listen on ${host}: local-only mode binds loopback only; set review.host (or --host) to 127.0.0.1, or configure teams.appId to run the bot with authentication`,
    );
  }
  for (const [group, conversation] of Object.entries(teams.conversations)) {
    const verdict = checkServiceUrl(conversation.serviceUrl, teams.serviceUrls);
    if (!verdict.ok) {
      throw new WardenError(
        'USAGE',
        `teams.conversations.${group}.serviceUrl: ${verdict.reason}; add the host to teams.serviceUrls or fix the URL`,
      );
    }
  }
  if (!hasAppId(teams)) {
    logger.warn(
      `TEAMS BOT WITHOUT AUTHENTICATION (teams.localOnly: true, no teams.appId): POST /api/messages on ${host} accepts any request and believes the identity it claims; for local development only, never expose or tunnel this port`,
    );
  }
}
