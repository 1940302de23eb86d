// The warden.yaml schema. Types come from the schema (z.infer), so the two never drift. Every message says what is
// expected, in the operator's words; load.ts adds `file:line:column` and the key path in front.
import { z } from 'zod';
import { envMap, expecting, isRecord, oneOf, positiveMs, settings, suggestKey, text } from './schema-kit.js';
import { approvalsSchema, idRecord, reviewServiceSchema, reviewerSchema } from './schema-approvals.js';
import { checkTeamsReferences, teamsConversationSchema, teamsSchema } from './schema-teams.js';

export * from './schema-approvals.js';
export * from './schema-teams.js';
export { configIssueMessage } from './schema-kit.js';

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

/**
 * Letters, digits, `_` and `-`, without `__`: Warden exposes tools as `<server>__<tool>`, and a server `a__b` would let
 * server `a`'s tool `b__x` and server `a__b`'s tool `x` claim the same name.
 */
export const SERVER_NAME_PATTERN = /^(?!.*__)[a-zA-Z0-9_-]{1,48}$/;
const SERVER_NAME_RULE =
  'use letters, digits, _ and - (at most 48 characters), without "__" (Warden\'s separator)';

/** Server names Warden keeps for itself: its own tools are exposed as `warden__*`. */
export const RESERVED_SERVER_NAMES: readonly string[] = ['warden'];

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
      z.string().regex(SERVER_NAME_PATTERN, `server names ${SERVER_NAME_RULE}`),
      serverSchema,
      {
        error: (issue) => {
          if (issue.code === 'invalid_key') {
            return `not a valid server name: ${SERVER_NAME_RULE}`;
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
