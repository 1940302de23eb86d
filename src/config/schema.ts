// The warden.yaml schema. Types come from the schema (z.infer), so the two never drift.
import { z } from 'zod';

const envMap = z.record(z.string(), z.string());

/** A downstream server started as a child process, as in Claude Desktop's `mcpServers`. */
export const stdioServerSchema = z.strictObject({
  type: z.literal('stdio').optional(),
  command: z.string().min(1, 'must name the program to start'),
  args: z.array(z.string()).default([]),
  env: envMap.optional(),
  cwd: z.string().optional(),
  disabled: z.boolean().optional(),
});

/** A downstream server reached over Streamable HTTP. */
export const httpServerSchema = z.strictObject({
  type: z.enum(['http', 'streamable-http', 'streamableHttp']).optional(),
  url: z.url({ message: 'must be an absolute http(s) URL' }),
  headers: envMap.optional(),
  disabled: z.boolean().optional(),
});

export const serverSchema = z.union([stdioServerSchema, httpServerSchema], {
  error: () => 'must have either `command` (a stdio server) or `url` (a Streamable HTTP server)',
});

/** The human the agent acts for. A string is shorthand for `{ id }`. */
export const principalSchema = z.union([
  z.string().min(1).transform((id) => ({ id })),
  z.strictObject({
    id: z.string().min(1),
    name: z.string().optional(),
    email: z.string().optional(),
  }),
]);

export const SERVER_NAME_PATTERN = /^[a-zA-Z0-9_-]{1,48}$/;

export const configSchema = z.strictObject({
  principal: principalSchema,
  database: z.string().min(1).default('warden.db'),
  policies: z.array(z.string().min(1)).min(1, 'name at least one policy file'),
  servers: z.record(
    z.string().regex(SERVER_NAME_PATTERN, 'server names use letters, digits, _ and - (at most 48)'),
    serverSchema,
  ),
  gateway: z
    .strictObject({
      /** Largest accepted `tools/call` arguments, as JSON bytes. */
      maxArgumentBytes: z.number().int().positive().default(1_048_576),
      /** How long a forwarded call may run before Warden fails it. */
      callTimeoutMs: z.number().int().positive().default(300_000),
      /** Restart policy for crashed stdio servers. */
      restart: z
        .strictObject({
          maxAttempts: z.number().int().min(0).default(5),
          initialDelayMs: z.number().int().positive().default(500),
          maxDelayMs: z.number().int().positive().default(30_000),
        })
        .prefault({}),
      /** How long to wait for a server to start and list its tools. */
      startTimeoutMs: z.number().int().positive().default(30_000),
    })
    .prefault({}),
  audit: z
    .strictObject({
      /** `full` survives power loss at the cost of speed; `normal` (WAL) survives process crashes. */
      synchronous: z.enum(['normal', 'full']).default('normal'),
      /** Longest result excerpt kept per call. */
      excerptChars: z.number().int().min(0).default(500),
    })
    .prefault({}),
  logLevel: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
});

export type WardenConfig = z.infer<typeof configSchema>;
export type ServerConfig = z.infer<typeof serverSchema>;
export type StdioServerConfig = z.infer<typeof stdioServerSchema>;
export type HttpServerConfig = z.infer<typeof httpServerSchema>;
export type Principal = z.infer<typeof principalSchema>;

export function isStdioServer(server: ServerConfig): server is StdioServerConfig {
  return 'command' in server;
}
