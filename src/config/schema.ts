// The warden.yaml schema. Types come from the schema (z.infer), so the two never drift. Every message says what is
// expected, in the operator's words; load.ts adds `file:line:column` and the key path in front.
import { z } from 'zod';
import { MAX_TIMEOUT_MS, parseDuration } from '../policy/schema.js';

type RawIssue = z.core.$ZodRawIssue;

/** `error` option: "expected <what>" for a wrong type, "missing: expected <what>" for an absent key. */
function expecting(what: string) {
  return (issue: RawIssue) => {
    if (issue.code !== 'invalid_type') return undefined;
    return issue.input === undefined ? `missing: expected ${what}` : `expected ${what}`;
  };
}

/** The known key closest to a mistyped one (case, `_`/`-` and small typos), if any is close enough. */
function suggestKey(key: string, known: readonly string[]): string | undefined {
  const squash = (s: string) => s.toLowerCase().replace(/[-_]/g, '');
  const exact = known.find((k) => squash(k) === squash(key));
  if (exact) return exact;
  const limit = key.length <= 4 ? 1 : 2;
  let best: { key: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(squash(key), squash(candidate));
    if (distance <= limit && (!best || distance < best.distance)) best = { key: candidate, distance };
  }
  return best?.key;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}

function unknownKeyMessage(key: string, known: readonly string[]): string {
  const suggestion = suggestKey(key, known);
  if (suggestion) return `unknown key "${key}" (did you mean "${suggestion}"?)`;
  return `unknown key "${key}" (expected one of: ${known.join(', ')})`;
}

/**
 * A strict mapping of settings. Unknown keys are errors (a typo must not be silently ignored), worded one line per key
 * with a "did you mean" suggestion; load.ts splits those lines and points each at its key.
 */
function settings<Shape extends z.core.$ZodLooseShape>(shape: Shape, what: string) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) => {
      if (issue.code === 'unrecognized_keys')
        return issue.keys.map((k) => unknownKeyMessage(k, known)).join('\n');
      return expecting(what)(issue);
    },
  });
}

/**
 * A schema that validates a value against the one branch `choose` picks (or fails with the message `choose`
 * returns), so an error is about that branch's real problem rather than a dump of every alternative, as z.union
 * gives. Issues from the branch keep their codes and paths.
 */
function oneOf<T>(choose: (value: unknown) => z.ZodType<T> | string) {
  return z.unknown().transform((value, ctx): T => {
    const branch = choose(value);
    if (typeof branch === 'string') {
      ctx.addIssue({ code: 'custom', message: branch, input: value });
      return z.NEVER;
    }
    const result = branch.safeParse(value, { error: configIssueMessage });
    if (result.success) return result.data;
    // The branch's issues are final (worded, paths relative to this value); re-raising them keeps both.
    for (const issue of result.error.issues) ctx.addIssue({ ...issue } as Parameters<typeof ctx.addIssue>[0]);
    return z.NEVER;
  });
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A string; numbers and booleans (as YAML writes `PORT: 8080`) are taken as their text. */
function text(what: string) {
  return z.preprocess(
    (value) => (typeof value === 'number' || typeof value === 'boolean' ? String(value) : value),
    z.string({ error: expecting(what) }),
  );
}

const envMap = (what: string) =>
  z.record(z.string(), text('a string (a number or true/false is taken as text)'), {
    error: expecting(what),
  });

const disabled = z.boolean({ error: expecting('true or false') }).optional();

/** A downstream server started as a child process, as in Claude Desktop's `mcpServers`. */
export const stdioServerSchema = settings(
  {
    type: z
      .literal('stdio', { error: () => 'expected "stdio" (or leave it out) for a server with "command"' })
      .optional(),
    command: z
      .string({ error: expecting('a string (the program to start, e.g. "npx")') })
      .min(1, 'must name the program to start, e.g. "npx"'),
    args: z
      .array(text('a string'), { error: expecting("a list of strings (the program's arguments)") })
      .default([]),
    env: envMap('a mapping of environment variable name to value').optional(),
    cwd: z.string({ error: expecting('a string (the folder to start the server in)') }).optional(),
    disabled,
  },
  'a mapping with "command" (a stdio server)',
);

/** A downstream server reached over Streamable HTTP. */
export const httpServerSchema = settings(
  {
    type: z
      .enum(['http', 'streamable-http', 'streamableHttp'], {
        error: () => 'expected "http" (or leave it out) for a server with "url"',
      })
      .optional(),
    url: z.url({
      protocol: /^https?$/,
      error: (issue) =>
        issue.input === undefined
          ? 'missing: expected an absolute http(s) URL, e.g. "https://example.com/mcp"'
          : 'expected an absolute http(s) URL, e.g. "https://example.com/mcp"',
    }),
    headers: envMap('a mapping of HTTP header name to value').optional(),
    disabled,
  },
  'a mapping with "url" (a Streamable HTTP server)',
);

const STDIO_ONLY_KEYS = ['args', 'env', 'cwd'];
const HTTP_ONLY_KEYS = ['headers'];
const SERVER_KIND_MESSAGE = 'needs either "command" (a stdio server) or "url" (a Streamable HTTP server)';

/** Which kind of server a raw entry means: by `command`/`url`, else by `type`, else by its other keys or typos. */
function chooseServerSchema(value: unknown): typeof stdioServerSchema | typeof httpServerSchema | string {
  if (!isRecord(value))
    return `expected a mapping with "command" (a stdio server) or "url" (a Streamable HTTP server)`;
  const keys = Object.keys(value);
  if ('command' in value && 'url' in value) {
    return 'has both "command" and "url"; a server is either stdio (command) or Streamable HTTP (url), not both';
  }
  if (value.type === 'sse') {
    return 'type "sse" is not supported: Warden speaks Streamable HTTP; use the server\'s Streamable HTTP endpoint (usually ending in /mcp) and leave "type" out';
  }
  if ('command' in value) return stdioServerSchema;
  if ('url' in value) return httpServerSchema;
  if (value.type === 'stdio') return stdioServerSchema;
  if (typeof value.type === 'string' && ['http', 'streamable-http', 'streamableHttp'].includes(value.type)) {
    return httpServerSchema;
  }
  if (keys.some((k) => STDIO_ONLY_KEYS.includes(k) || suggestKey(k, ['command']))) return stdioServerSchema;
  if (keys.some((k) => HTTP_ONLY_KEYS.includes(k) || suggestKey(k, ['url']))) return httpServerSchema;
  return SERVER_KIND_MESSAGE;
}

/** A downstream server: stdio when it has `command`, Streamable HTTP when it has `url`. */
export const serverSchema = oneOf<StdioServerConfig | HttpServerConfig>(chooseServerSchema);

const PRINCIPAL_WHAT = 'a string id or a mapping { id, name?, email? } (the person the agent acts for)';

const principalObjectSchema = settings(
  {
    id: z.string({ error: expecting('a string (a stable id, e.g. an email)') }).min(1, 'must not be empty'),
    name: z.string({ error: expecting('a string') }).optional(),
    email: z.string({ error: expecting('a string') }).optional(),
    /** Microsoft Entra object id: with the other fields, what separation of duties compares. */
    entraObjectId: z
      .string({ error: expecting('a string (the Microsoft Entra object id, a GUID)') })
      .min(1, 'must not be empty')
      .optional(),
  },
  PRINCIPAL_WHAT,
);

/** The human the agent acts for. A string is shorthand for `{ id }`. */
export const principalSchema = oneOf<{
  id: string;
  name?: string | undefined;
  email?: string | undefined;
  entraObjectId?: string | undefined;
}>((value) => {
  if (typeof value === 'string') {
    return z
      .string()
      .min(1, `must not be empty; expected ${PRINCIPAL_WHAT}`)
      .transform((id) => ({ id }));
  }
  if (isRecord(value)) return principalObjectSchema;
  return value === undefined || value === null
    ? `missing: expected ${PRINCIPAL_WHAT}`
    : `expected ${PRINCIPAL_WHAT}`;
});

export const SERVER_NAME_PATTERN = /^[a-zA-Z0-9_-]{1,48}$/;

/** Server names Warden keeps for itself: its own tools are exposed as `warden__*`. */
export const RESERVED_SERVER_NAMES: readonly string[] = ['warden'];

/** Reviewer ids and group names (keys under `reviewers` and `groups`). */
export const REVIEWER_ID_PATTERN = /^[a-zA-Z0-9_.@-]{1,64}$/;

/** A reviewer API token as config keeps it: `sha256:` and the token's sha256 in lowercase hex. */
export const TOKEN_HASH_PATTERN = /^sha256:[0-9a-f]{64}$/;

const DURATION_WHAT = 'a duration such as 30s, 15m, 2h, or a whole number of milliseconds';

/** `30s`, `15m`, `2h`, `1d`, `500ms`, or a number of milliseconds; parsed to milliseconds. */
function duration(what: string) {
  return z
    .union(
      [
        z.number().int(`expected ${DURATION_WHAT}`).positive('must be longer than 0'),
        z.string().regex(/^\d+(ms|s|m|h|d)$/, `expected ${DURATION_WHAT} (${what})`),
      ],
      { error: () => `expected ${DURATION_WHAT} (${what})` },
    )
    .transform(parseDuration)
    .refine((ms) => ms > 0 && ms <= MAX_TIMEOUT_MS, 'must be longer than 0 and at most 7 days');
}

const reviewerSchema = settings(
  {
    name: z.string({ error: expecting('a string (shown on cards and in the audit log)') }).optional(),
    email: z
      .string({ error: expecting('a string (the email or UPN a channel knows the reviewer by)') })
      .min(1, 'must not be empty')
      .optional(),
    entraObjectId: z
      .string({ error: expecting('a string (the Microsoft Entra object id Teams reports, a GUID)') })
      .min(1, 'must not be empty')
      .optional(),
    tokenHash: z
      .string({ error: expecting('a string: sha256: and 64 hex digits') })
      .regex(
        TOKEN_HASH_PATTERN,
        "expected sha256: followed by 64 lowercase hex digits, the hash of the reviewer's API token (`warden review token --reviewer <id>` prints both); never the token itself",
      )
      .optional(),
  },
  "a mapping of the reviewer's identities (name, email, entraObjectId, tokenHash)",
);

const idRecord = <T extends z.ZodType>(value: T, what: string, keyWhat: string) =>
  z.record(z.string().regex(REVIEWER_ID_PATTERN), value, {
    error: (issue) => {
      if (issue.code === 'invalid_key') {
        return `not a valid ${keyWhat}: use letters, digits, _, ., @ and - (at most 64 characters)`;
      }
      return expecting(what)(issue);
    },
  });

const approvalsSchema = settings(
  {
    /** How long reviewers have when the policy rule sets no timeout, in ms. */
    defaultTimeout: duration('how long reviewers have to decide').default(900_000),
    /** Reviewers for rules that name none (`group:<name>` or `user:<id>`); the example policies name none. */
    defaultReviewers: z
      .array(
        z
          .string({ error: expecting('a string such as group:oncall or user:bob') })
          .regex(/^(user|group):[a-zA-Z0-9_.@-]{1,64}$/, 'reviewers are written user:<id> or group:<name>'),
        { error: expecting('a list of reviewers, e.g. [group:oncall]') },
      )
      .default([]),
    /**
     * Longest a `tools/call` is held open, in ms, per MCP client name (`clientInfo.name`); `default` for the rest.
     * Hosts cap tool calls (Claude Desktop's `claude-ai` at about a minute), so hold less than that.
     */
    holdLimits: z
      .record(z.string().min(1, 'must not be empty'), duration('how long to hold a call'), {
        error: expecting('a mapping of MCP client name (or "default") to a duration, e.g. { default: 5m }'),
      })
      .transform((limits): Record<string, number> => ({ default: 300_000, 'claude-ai': 50_000, ...limits }))
      .prefault({}),
    /** Interval of progress heartbeats while a call is held, in ms. */
    heartbeat: duration('the progress heartbeat interval').default(5_000),
    /** How often a waiting gateway reads the database, in ms. */
    poll: duration('how often a waiting gateway checks for a decision').default(200),
    /** How long a gateway waits for a live review service before failing closed, in ms. */
    reviewServiceGrace: duration('how long to wait for a review service').default(3_000),
  },
  'a mapping of approval settings (defaultTimeout, defaultReviewers, holdLimits, heartbeat, poll, reviewServiceGrace)',
);

const reviewServiceSchema = settings(
  {
    host: z
      .string({ error: expecting('a string (the address to listen on)') })
      .min(1)
      .default('127.0.0.1'),
    port: z
      .number({ error: expecting('a port number') })
      .int('must be a whole number')
      .min(0, 'must be 0 (any free port) or more')
      .max(65_535, 'must be at most 65535')
      .default(3978),
    /** Run the review service inside `warden serve` (one user on one machine). */
    inProcess: z.boolean({ error: expecting('true or false') }).default(false),
  },
  'a mapping of review service settings (host, port, inProcess)',
);

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

const httpUrl = (what: string) =>
  z.url({
    protocol: /^https?$/,
    error: (issue) =>
      issue.input === undefined
        ? `missing: expected an absolute http(s) URL (${what})`
        : `expected an absolute http(s) URL (${what})`,
  });

const nonEmpty = (what: string) =>
  z.string({ error: expecting(`a string (${what})`) }).min(1, 'must not be empty');

const teamsConversationSchema = settings(
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
const teamsEndpointsSchema = settings(
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
const teamsSchema = settings(
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
function checkTeams(
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

const positiveMs = (what: string) =>
  z
    .number({ error: expecting(`a whole number of milliseconds (${what})`) })
    .int('must be a whole number of milliseconds')
    .positive('must be greater than 0');

export const configSchema = settings(
  {
    principal: principalSchema,
    database: z
      .string({ error: expecting('a string (a path to the SQLite file)') })
      .min(1, 'must not be empty; expected a path to the SQLite file')
      .default('warden.db'),
    policies: z
      .array(
        z.string({ error: expecting('a string (a path to a policy YAML file)') }).min(1, 'must not be empty'),
        {
          error: expecting('a list of policy files, e.g. [policies/default.yaml]'),
        },
      )
      .min(1, 'name at least one policy file, e.g. [policies/default.yaml]'),
    servers: z.record(
      z.string().regex(SERVER_NAME_PATTERN, 'server names use letters, digits, _ and - (at most 48)'),
      serverSchema,
      {
        error: (issue) => {
          if (issue.code === 'invalid_key') {
            return 'not a valid server name: use letters, digits, _ and - (at most 48 characters)';
          }
          return expecting('a mapping of server name to its settings ("command" or "url")')(issue);
        },
      },
    ),
    gateway: settings(
      {
        /** Largest accepted `tools/call` arguments, as JSON bytes. */
        maxArgumentBytes: z
          .number({ error: expecting('a whole number of bytes') })
          .int('must be a whole number of bytes')
          .positive('must be greater than 0')
          .default(1_048_576),
        /** How long a forwarded call may run before Warden fails it. */
        callTimeoutMs: positiveMs('how long a forwarded call may run').default(300_000),
        /** Restart policy for crashed stdio servers. */
        restart: settings(
          {
            maxAttempts: z
              .number({ error: expecting('a whole number (0 turns restarts off)') })
              .int('must be a whole number')
              .min(0, 'must be 0 or more')
              .default(5),
            initialDelayMs: positiveMs('the first wait before a restart').default(500),
            maxDelayMs: positiveMs('the longest wait between restarts').default(30_000),
          },
          'a mapping of restart settings (maxAttempts, initialDelayMs, maxDelayMs)',
        ).prefault({}),
        /** How long to wait for a server to start and list its tools. */
        startTimeoutMs: positiveMs('how long a server may take to start').default(30_000),
      },
      'a mapping of gateway settings',
    ).prefault({}),
    audit: settings(
      {
        /** `full` survives power loss at the cost of speed; `normal` (WAL) survives process crashes. */
        synchronous: z
          .enum(['normal', 'full'], { error: () => 'expected "normal" or "full"' })
          .default('normal'),
        /** Longest result excerpt kept per call. */
        excerptChars: z
          .number({ error: expecting('a whole number of characters') })
          .int('must be a whole number')
          .min(0, 'must be 0 or more')
          .default(500),
      },
      'a mapping of audit settings (synchronous, excerptChars)',
    ).prefault({}),
    logLevel: z
      .enum(['debug', 'info', 'warn', 'error', 'silent'], {
        error: () => 'expected one of "debug", "info", "warn", "error", "silent"',
      })
      .default('info'),
    /** Reviewer id → the identities channels know them by. Policy rules name them as `user:<id>`. */
    reviewers: idRecord(
      reviewerSchema,
      'a mapping of reviewer id to their identities',
      'reviewer id',
    ).default({}),
    /** Group name → reviewer ids. Policy rules name them as `group:<name>`. */
    groups: idRecord(
      z
        .array(z.string({ error: expecting('a string (a reviewer id)') }), {
          error: expecting('a list of reviewer ids, e.g. [bob, carol]'),
        })
        .min(1, 'a group needs at least one reviewer'),
      'a mapping of group name to a list of reviewer ids',
      'group name',
    ).default({}),
    approvals: approvalsSchema.prefault({}),
    review: reviewServiceSchema.prefault({}),
    /** The Microsoft Teams bot; absent: no Teams channel. */
    teams: teamsSchema.optional(),
  },
  'a mapping of settings',
)
  .superRefine(checkReferences)
  .superRefine(checkTeamsReferences);

/** `teams.conversations` keys name groups that exist (or `*`). */
function checkTeamsReferences(
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

/** Checks across sections, once each section is valid: names that must exist, be unique, or are reserved. */
function checkReferences(
  config: {
    servers: Record<string, unknown>;
    reviewers: Record<string, { tokenHash?: string | undefined }>;
    groups: Record<string, string[]>;
  },
  ctx: z.RefinementCtx,
): void {
  for (const name of Object.keys(config.servers)) {
    if (RESERVED_SERVER_NAMES.includes(name.toLowerCase())) {
      ctx.addIssue({
        code: 'custom',
        path: ['servers', name],
        message: `the server name "${name}" is reserved (Warden's own tools are ${name}__*); rename this server`,
      });
    }
  }
  const reviewerIds = Object.keys(config.reviewers);
  for (const [group, members] of Object.entries(config.groups)) {
    members.forEach((member, index) => {
      if (Object.hasOwn(config.reviewers, member)) return;
      const known = reviewerIds.length > 0 ? `defined: ${reviewerIds.join(', ')}` : 'none are defined';
      ctx.addIssue({
        code: 'custom',
        path: ['groups', group, index],
        message: `"${member}" is not a reviewer; define it under reviewers: (${known})`,
      });
    });
  }
  const byHash = new Map<string, string>();
  for (const [id, reviewer] of Object.entries(config.reviewers)) {
    if (reviewer.tokenHash === undefined) continue;
    const other = byHash.get(reviewer.tokenHash);
    if (other !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['reviewers', id, 'tokenHash'],
        message: `is the same as reviewer "${other}"'s; every reviewer needs their own token`,
      });
    } else {
      byHash.set(reviewer.tokenHash, id);
    }
  }
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
  record: 'a mapping',
};

/**
 * Error map for every parse of the config: words for the issues no schema above worded itself. Pass it as
 * `safeParse(value, { error: configIssueMessage })`; a schema's own `error` still wins.
 */
export function configIssueMessage(issue: RawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type': {
      const what = TYPE_WORDS[issue.expected] ?? issue.expected;
      return issue.input === undefined ? `missing: expected ${what}` : `expected ${what}`;
    }
    case 'too_small':
      if (issue.origin === 'string') return 'must not be empty';
      if (issue.origin === 'array') return `needs at least ${issue.minimum} item(s)`;
      return `must be ${issue.inclusive ? 'at least' : 'greater than'} ${issue.minimum}`;
    case 'too_big':
      return `must be ${issue.inclusive ? 'at most' : 'less than'} ${issue.maximum}`;
    case 'invalid_value':
      return `expected ${issue.values.map((v) => JSON.stringify(v)).join(' or ')}`;
    case 'unrecognized_keys':
      return issue.keys.map((k) => `unknown key "${k}"`).join('\n');
    default:
      return undefined;
  }
}

export type WardenConfig = z.infer<typeof configSchema>;
export type ServerConfig = z.infer<typeof serverSchema>;
export type StdioServerConfig = z.infer<typeof stdioServerSchema>;
export type HttpServerConfig = z.infer<typeof httpServerSchema>;
export type Principal = z.infer<typeof principalSchema>;
export type ReviewerConfig = z.infer<typeof reviewerSchema>;
export type ApprovalsConfig = z.infer<typeof approvalsSchema>;
export type ReviewServiceConfig = z.infer<typeof reviewServiceSchema>;
export type TeamsConfig = z.infer<typeof teamsSchema>;
export type TeamsConversationConfig = z.infer<typeof teamsConversationSchema>;

export function isStdioServer(server: ServerConfig): server is StdioServerConfig {
  return 'command' in server;
}
