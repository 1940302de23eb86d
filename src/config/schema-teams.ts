// The `teams:` section of warden.yaml: the bot's identity, its tenant, where its token may go, the conversations
// cards are posted to, and (for tests and sovereign clouds) the Bot Framework endpoints.
import { z } from 'zod';
import { expecting, settings } from './schema-kit.js';

/** Hosts of Teams' Bot Connector service URLs in the public cloud: where the bot's token may be sent by default. */
export const DEFAULT_TEAMS_SERVICE_URL_HOSTS: readonly string[] = [
  'smba.trafficmanager.net',
  '*.botframework.com',
];

/** An allow-listed service URL host: `smba.trafficmanager.net`, `*.botframework.com` (any subdomain), `127.0.0.1`. */
export const SERVICE_URL_HOST_PATTERN =
  /^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$|^\[[0-9a-f:.]+\]$/i;

/** Keys under `teams.conversations`: a group name, or `*` for groups with no conversation of their own. */
export const TEAMS_CONVERSATION_KEY_PATTERN = /^(\*|[a-zA-Z0-9_.@-]{1,64})$/;

export const httpUrl = (what: string) =>
  z.url({
    protocol: /^https?$/,
    error: (issue) =>
      issue.input === undefined
        ? `missing: expected an absolute http(s) URL (${what})`
        : `expected an absolute http(s) URL (${what})`,
  });

export const nonEmpty = (what: string) =>
  z.string({ error: expecting(`a string (${what})`) }).min(1, 'must not be empty');

export const teamsConversationSchema = settings(
  {
    serviceUrl: httpUrl('the Bot Connector service URL, e.g. https://smba.trafficmanager.net/emea/'),
    conversationId: nonEmpty('the conversation id, e.g. 19:abc@thread.tacv2'),
    tenantId: nonEmpty('the Entra tenant id of the conversation').optional(),
  },
  'a mapping { serviceUrl, conversationId, tenantId? } naming a Teams conversation the bot is in',
);

/**
 * Where botbuilder gets the bot's tokens and checks inbound ones. Every key defaults to Microsoft's public cloud;
 * set them for a sovereign cloud, or to point the bot at local stand-ins in tests.
 */
export const teamsEndpointsSchema = settings(
  {
    /** OpenID metadata of the Bot Framework channel service (inbound JWT signing keys). */
    openIdMetadata: httpUrl('OpenID metadata for tokens from the channel service'),
    /** OpenID metadata for Emulator / Entra-issued tokens. */
    emulatorOpenIdMetadata: httpUrl('OpenID metadata for Emulator tokens'),
    /** `iss` of inbound channel tokens. */
    tokenIssuer: nonEmpty('the issuer of inbound channel tokens'),
    /** Where the bot gets its own token: `<login>/oauth2/v2.0/token`. */
    login: httpUrl('the login authority, e.g. https://login.microsoftonline.com/<tenant>'),
    /** Audience of the bot's outbound token. */
    oauthScope: nonEmpty("the scope of the bot's outbound token, e.g. https://api.botframework.com"),
    /** The Bot Framework token service (user sign-in; unused by Warden). */
    oauthApi: httpUrl('the Bot Framework OAuth API'),
    callerId: nonEmpty('the caller id stamped on authenticated activities'),
    validateAuthority: z.boolean({ error: expecting('true or false') }),
  },
  'a mapping of Bot Framework endpoints (openIdMetadata, emulatorOpenIdMetadata, tokenIssuer, login, oauthScope, oauthApi, callerId, validateAuthority)',
).partial();

/**
 * The Teams bot (`teams:`). With an app id, botbuilder verifies every inbound JWT; without one it accepts any request,
 * so that needs `localOnly: true` (the review service then binds loopback only).
 */
export const teamsSchema = settings(
  {
    appId: z.string({ error: expecting("a string (the bot's Microsoft App ID, a GUID)") }).optional(),
    appPassword: z.string({ error: expecting("a string (the bot's client secret)") }).optional(),
    certificateThumbprint: z.string({ error: expecting('a string (the certificate thumbprint)') }).optional(),
    certificatePrivateKey: z.string({ error: expecting('a string (the PEM private key)') }).optional(),
    tenantId: z.string({ error: expecting('a string (the Entra tenant id, a GUID)') }).optional(),
    appType: z
      .enum(['SingleTenant', 'MultiTenant'], { error: () => 'expected "SingleTenant" or "MultiTenant"' })
      .default('SingleTenant'),
    localOnly: z.boolean({ error: expecting('true or false') }).default(false),
    serviceUrls: z
      .array(
        z
          .string({ error: expecting('a string (a host such as smba.trafficmanager.net)') })
          .regex(
            SERVICE_URL_HOST_PATTERN,
            'expected a host name such as smba.trafficmanager.net or *.botframework.com, without scheme, port or path',
          ),
        { error: expecting('a list of hosts, e.g. [smba.trafficmanager.net, "*.botframework.com"]') },
      )
      .min(1, 'name at least one host; the bot cannot reply anywhere otherwise')
      .default([...DEFAULT_TEAMS_SERVICE_URL_HOSTS]),
    conversations: z
      .record(z.string().regex(TEAMS_CONVERSATION_KEY_PATTERN), teamsConversationSchema, {
        error: (issue) => {
          if (issue.code === 'invalid_key') return 'not a group name or "*"';
          return expecting('a mapping of group name (or "*") to { serviceUrl, conversationId }')(issue);
        },
      })
      .default({}),
    endpoints: teamsEndpointsSchema.prefault({}),
  },
  'a mapping of Teams bot settings (appId, appPassword, tenantId, appType, localOnly, serviceUrls, conversations, endpoints)',
).superRefine(checkTeams);

/** The Teams section on its own: an app id needs a tenant and a secret; no app id needs `localOnly: true`. */
export function checkTeams(
  teams: {
    appId?: string | undefined;
    appPassword?: string | undefined;
    certificateThumbprint?: string | undefined;
    certificatePrivateKey?: string | undefined;
    tenantId?: string | undefined;
    localOnly: boolean;
  },
  ctx: z.RefinementCtx,
): void {
  const given = (value: string | undefined) => (value ?? '').trim() !== '';
  if (given(teams.certificateThumbprint) !== given(teams.certificatePrivateKey)) {
    ctx.addIssue({
      code: 'custom',
      path: [given(teams.certificateThumbprint) ? 'certificatePrivateKey' : 'certificateThumbprint'],
      message:
        'certificateThumbprint and certificatePrivateKey go together; set both, or neither and use appPassword',
    });
  }
  if (!given(teams.appId)) {
    if (!teams.localOnly) {
      ctx.addIssue({
        code: 'custom',
        path: ['appId'],
        message:
          'is empty: without an app id botbuilder accepts every request unauthenticated; set appId, appPassword and tenantId (see examples/teams/README.md), or set localOnly: true to run on loopback only, for development',
      });
    }
    return;
  }
  if (!given(teams.tenantId)) {
    ctx.addIssue({
      code: 'custom',
      path: ['tenantId'],
      message: 'is required with an appId: the Entra tenant (directory) id whose activities the bot accepts',
    });
  }
  if (!given(teams.appPassword) && !given(teams.certificateThumbprint)) {
    ctx.addIssue({
      code: 'custom',
      path: ['appPassword'],
      message:
        "is required with an appId (the bot's client secret, e.g. ${MICROSOFT_APP_PASSWORD}), unless certificateThumbprint and certificatePrivateKey are set",
    });
  }
}

/** `teams.conversations` keys name groups that exist (or `*`). */
export function checkTeamsReferences(
  config: {
    groups: Record<string, string[]>;
    teams?: { conversations: Record<string, unknown> } | undefined;
  },
  ctx: z.RefinementCtx,
): void {
  for (const key of Object.keys(config.teams?.conversations ?? {})) {
    if (key === '*' || Object.hasOwn(config.groups, key)) continue;
    const known = Object.keys(config.groups);
    ctx.addIssue({
      code: 'custom',
      path: ['teams', 'conversations', key],
      message: `"${key}" is not a group; use a name under groups: (${known.length > 0 ? known.join(', ') : 'none are defined'}) or "*" for every group`,
    });
  }
}
