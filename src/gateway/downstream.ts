// One downstream MCP server: connect (stdio or Streamable HTTP), list what it offers (following pagination), forward
// requests, and restart it with backoff when it crashes. A crashed server needs a new Client and a new transport.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  ListPromptsResultSchema,
  ListResourcesResultSchema,
  ListResourceTemplatesResultSchema,
  ListToolsResultSchema,
  PromptListChangedNotificationSchema,
  ResourceListChangedNotificationSchema,
  ToolListChangedNotificationSchema,
  type Implementation,
  type Prompt,
  type Resource,
  type ResourceTemplate,
  type ServerCapabilities,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { WardenError, errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import { isStdioServer, type ServerConfig } from '../config/schema.js';
import { CallLane, LaneTimeoutError, type LaneRequestOptions } from './wire/call-lane.js';
import { StdioChildTransport } from './wire/stdio-child.js';

export type { ProgressParams } from './wire/call-lane.js';

/** Most pages Warden follows for one listing: a server that keeps returning cursors is broken or hostile. */
const MAX_PAGES = 100;
/** A connection that stayed up this long resets the restart backoff. */
const STABLE_AFTER_MS = 10_000;
/** Lines of a child's stderr kept to explain why it failed. */
const STDERR_TAIL_LINES = 20;

/** A server url without what may hold a credential (user:password@, the query), for messages and the log. */
function urlForLogs(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return '(the configured url)';
  }
}

export type DownstreamState = 'starting' | 'ready' | 'restarting' | 'failed' | 'closed';

export interface RestartPolicy {
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

export interface DownstreamEvents {
  /** The server connected (first time or after a restart) and its listings were read. */
  onReady(connection: DownstreamConnection, restarted: boolean): void;
  /**
   * It could not start, or it crashed. `failedAttempt` is the restart attempt that failed (0: the first start; undefined
   * when a running server crashed); `connection.attempt` is then the next one. `willRetryInMs` is undefined when Warden
   * gives up.
   */
  onDown(
    connection: DownstreamConnection,
    error: string,
    failedAttempt: number | undefined,
    willRetryInMs?: number,
  ): void;
  /** Its tools, resources or prompts changed (re-read already). */
  onListChanged(connection: DownstreamConnection, what: 'tools' | 'resources' | 'prompts'): void;
}

export interface DownstreamOptions {
  clientInfo: Implementation;
  startTimeoutMs: number;
  restart: RestartPolicy;
  logger: Logger;
  events: DownstreamEvents;
}

/** Longest line a stdio server may write (a tool result with large images, say); a longer one ends the connection. */
const MAX_STDOUT_LINE_BYTES = 64 * 1024 * 1024;

/** How a forwarded request is cancelled, timed out and followed (see CallLane). */
export type ForwardOptions = LaneRequestOptions;

/** A downstream server with a lifecycle: start, serve, crash, restart, close. */
export class DownstreamConnection {
  readonly name: string;
  state: DownstreamState = 'starting';
  tools: Tool[] = [];
  resources: Resource[] = [];
  resourceTemplates: ResourceTemplate[] = [];
  prompts: Prompt[] = [];
  capabilities: ServerCapabilities = {};
  /** The last error, for messages while the server is down. */
  lastError = '';
  /** Restart attempts since the last stable connection. */
  attempt = 0;

  private client: Client | undefined;
  /** Forwarded requests of the current connection. */
  private lane: CallLane | undefined;
  private generation = 0;
  private connectedAt = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private stderrTail: string[] = [];
  private readonly config: ServerConfig;
  private readonly options: DownstreamOptions;

  constructor(name: string, config: ServerConfig, options: DownstreamOptions) {
    this.name = name;
    this.config = config;
    this.options = options;
  }

  /** Connects once; on failure schedules restarts in the background. Resolves either way. */
  async start(): Promise<void> {
    await this.connect(false);
  }

  /** The lane of the live connection, or a clear error saying why there is none. */
  private requireLane(): CallLane {
    if (this.state === 'ready' && this.lane) return this.lane;
    const why =
      this.state === 'restarting'
        ? `it is restarting (attempt ${this.attempt} of ${this.options.restart.maxAttempts}) after: ${this.lastError}`
        : this.state === 'failed'
          ? `it failed and Warden gave up restarting it: ${this.lastError}`
          : this.state === 'closed'
            ? 'Warden is shutting down'
            : 'it is still starting';
    throw new WardenError(
      'DOWNSTREAM_UNAVAILABLE',
      `downstream server "${this.name}" is unavailable: ${why}`,
    );
  }

  /** Forwards a request as is and returns the raw result (see CallLane for cancel, progress and the deadline). */
  async request(
    method: string,
    params: Record<string, unknown> | undefined,
    options: ForwardOptions = {},
  ): Promise<Record<string, unknown>> {
    const lane = this.requireLane();
    const generation = this.generation;
    try {
      return await lane.request(method, params, options);
    } catch (error) {
      throw this.describeFailure(
        error,
        method,
        options.cancel?.aborted ?? options.signal?.aborted,
        generation,
      );
    }
  }

  /** The error a failed request throws: a timeout or a crash in Warden's words, anything else as it came. */
  private describeFailure(
    error: unknown,
    method: string,
    cancelled: boolean | undefined,
    generation: number,
  ): unknown {
    if (error instanceof LaneTimeoutError) {
      return new WardenError(
        'DOWNSTREAM_TIMEOUT',
        `downstream server "${this.name}" gave no result for ${method} within ${error.timeoutMs} ms`,
        { cause: error },
      );
    }
    if (!cancelled && (generation !== this.generation || this.state !== 'ready')) {
      return new WardenError(
        'DOWNSTREAM_CRASHED',
        `downstream server "${this.name}" stopped while handling ${method} (${this.lastError || errorMessage(error)}); ` +
          'whether the call took effect is unknown. Warden is restarting the server.',
        { cause: error },
      );
    }
    return error;
  }

  /** Stops the server for good. */
  async close(): Promise<void> {
    this.state = 'closed';
    clearTimeout(this.restartTimer);
    this.generation += 1;
    const client = this.client;
    this.client = undefined;
    this.lane?.close(new Error('Warden is shutting down'));
    await client?.close().catch(() => undefined);
  }

  private createTransport(): Transport {
    const config = this.config;
    if (isStdioServer(config)) {
      return new StdioChildTransport({
        command: config.command,
        args: config.args,
        ...(config.env ? { env: config.env } : {}),
        ...(config.cwd ? { cwd: config.cwd } : {}),
        maxLineBytes: MAX_STDOUT_LINE_BYTES,
        onStderr: (chunk) => this.recordStderr(chunk),
      });
    }
    // fetch refuses a url with user:password@ in it; like curl, Warden sends them as Basic credentials instead.
    const url = new URL(config.url);
    const headers: Record<string, string> = { ...config.headers };
    if (url.username || url.password) {
      const hasAuthorization = Object.keys(headers).some((h) => h.toLowerCase() === 'authorization');
      const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
      if (!hasAuthorization) headers.Authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
      url.username = '';
      url.password = '';
    }
    return new StreamableHTTPClientTransport(url, { requestInit: { headers } });
  }

  private recordStderr(chunk: Buffer): void {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      this.stderrTail.push(line);
      if (this.stderrTail.length > STDERR_TAIL_LINES) this.stderrTail.shift();
      this.options.logger.debug(`[${this.name}] ${line}`);
    }
  }

  private async connect(restarted: boolean): Promise<void> {
    const generation = ++this.generation;
    this.stderrTail = [];
    const client = new Client(this.options.clientInfo, { capabilities: {} });
    const transport = this.createTransport();
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`did not finish starting within ${this.options.startTimeoutMs} ms`)),
          this.options.startTimeoutMs,
        );
      });
      await Promise.race([client.connect(transport), timeout]);
      this.client = client;
      this.capabilities = client.getServerCapabilities() ?? {};
      await Promise.race([this.readListings(client), timeout]);
    } catch (error) {
      clearTimeout(timer);
      this.client = undefined;
      await client.close().catch(() => undefined);
      if (generation !== this.generation || this.state === 'closed') return;
      this.handleDown(this.describeStartError(error), false);
      return;
    }
    clearTimeout(timer);
    if (generation !== this.generation || this.state === 'closed') {
      await client.close().catch(() => undefined);
      return;
    }
    this.connectedAt = Date.now();
    this.state = 'ready';
    this.lastError = '';
    const lane = new CallLane((message) => transport.send(message));
    this.lane = lane;
    attachLane(transport, lane);
    client.onclose = () => {
      lane.close(new Error('the connection closed'));
      if (generation !== this.generation || this.state === 'closed') return;
      const tail = this.stderrTail.at(-1);
      this.handleDown(
        `the server process exited or closed the connection${tail ? ` (last stderr: ${tail})` : ''}`,
        true,
      );
    };
    client.onerror = (error) =>
      this.options.logger.debug(`[${this.name}] transport error: ${errorMessage(error)}`);
    this.watchListChanges(client, generation);
    this.options.events.onReady(this, restarted);
  }

  private describeStartError(error: unknown): string {
    const err = error as NodeJS.ErrnoException;
    let message = errorMessage(error);
    if (err?.code === 'ENOENT' && isStdioServer(this.config)) {
      message = `command "${this.config.command}" was not found (check \`command\` and PATH)`;
    } else if (!isStdioServer(this.config)) {
      // fetch says only "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND, a certificate…) is in its causes.
      const causes: string[] = [];
      for (let cause = (error as { cause?: unknown })?.cause; cause && causes.length < 3;) {
        const { code, message: text } = cause as { code?: unknown; message?: unknown };
        causes.push([code, text].filter((part) => typeof part === 'string' && part !== '').join(' '));
        cause = (cause as { cause?: unknown }).cause;
      }
      const why = causes.filter(Boolean).join(': ');
      message = `${urlForLogs(this.config.url)}: ${message}${why && !message.includes(why) ? ` (${why})` : ''}`;
      // Security: errors quote the url they failed on, with whatever credential it holds.
      message = message.replaceAll(this.config.url, urlForLogs(this.config.url));
    }
    const tail = this.stderrTail.slice(-3).join(' | ');
    return tail ? `${message}; stderr: ${tail}` : message;
  }

  private handleDown(error: string, crashed: boolean): void {
    this.lastError = error;
    const failedAttempt = crashed ? undefined : this.attempt;
    const client = this.client;
    this.client = undefined;
    this.lane = undefined;
    this.generation += 1;
    void client?.close().catch(() => undefined);
    if (crashed && Date.now() - this.connectedAt > STABLE_AFTER_MS) this.attempt = 0;
    const policy = this.options.restart;
    if (this.attempt >= policy.maxAttempts) {
      this.state = 'failed';
      this.options.events.onDown(this, error, failedAttempt, undefined);
      return;
    }
    this.attempt += 1;
    const delay = Math.min(policy.initialDelayMs * 2 ** (this.attempt - 1), policy.maxDelayMs);
    this.state = 'restarting';
    this.options.events.onDown(this, error, failedAttempt, delay);
    this.restartTimer = setTimeout(() => {
      if (this.state === 'restarting') void this.connect(true);
    }, delay);
    this.restartTimer.unref();
  }

  private async readListings(client: Client): Promise<void> {
    const caps = this.capabilities;
    const [tools, resources, templates, prompts] = await Promise.all([
      caps.tools ? this.listAll(client, 'tools/list', ListToolsResultSchema, 'tools') : [],
      caps.resources ? this.listAll(client, 'resources/list', ListResourcesResultSchema, 'resources') : [],
      caps.resources
        ? this.listAll(
            client,
            'resources/templates/list',
            ListResourceTemplatesResultSchema,
            'resourceTemplates',
          )
        : [],
      caps.prompts ? this.listAll(client, 'prompts/list', ListPromptsResultSchema, 'prompts') : [],
    ]);
    this.tools = tools as Tool[];
    this.resources = resources as Resource[];
    this.resourceTemplates = templates as ResourceTemplate[];
    this.prompts = prompts as Prompt[];
  }

  /** Reads every page of a listing by following `nextCursor`. */
  private async listAll(
    client: Client,
    method: string,
    schema:
      | typeof ListToolsResultSchema
      | typeof ListResourcesResultSchema
      | typeof ListResourceTemplatesResultSchema
      | typeof ListPromptsResultSchema,
    key: 'tools' | 'resources' | 'resourceTemplates' | 'prompts',
  ): Promise<unknown[]> {
    const items: unknown[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page += 1) {
      const result = (await client.request(
        { method, params: cursor ? { cursor } : {} } as never,
        schema as typeof ListToolsResultSchema,
      )) as unknown as Record<string, unknown>;
      const list = result[key];
      if (Array.isArray(list)) items.push(...list);
      cursor =
        typeof result.nextCursor === 'string' && result.nextCursor !== '' ? result.nextCursor : undefined;
      if (!cursor) return items;
    }
    this.options.logger.warn(
      `[${this.name}] ${method}: stopped after ${MAX_PAGES} pages (the server keeps returning cursors)`,
    );
    return items;
  }

  private watchListChanges(client: Client, generation: number): void {
    const refresh = (what: 'tools' | 'resources' | 'prompts') => async () => {
      if (generation !== this.generation) return;
      try {
        if (what === 'tools')
          this.tools = (await this.listAll(client, 'tools/list', ListToolsResultSchema, 'tools')) as Tool[];
        if (what === 'resources') {
          this.resources = (await this.listAll(
            client,
            'resources/list',
            ListResourcesResultSchema,
            'resources',
          )) as Resource[];
          this.resourceTemplates = (await this.listAll(
            client,
            'resources/templates/list',
            ListResourceTemplatesResultSchema,
            'resourceTemplates',
          )) as ResourceTemplate[];
        }
        if (what === 'prompts')
          this.prompts = (await this.listAll(
            client,
            'prompts/list',
            ListPromptsResultSchema,
            'prompts',
          )) as Prompt[];
      } catch (error) {
        this.options.logger.warn(
          `[${this.name}] could not re-read ${what} after a change: ${errorMessage(error)}`,
        );
        return;
      }
      if (generation === this.generation) this.options.events.onListChanged(this, what);
    };
    client.setNotificationHandler(ToolListChangedNotificationSchema, refresh('tools'));
    client.setNotificationHandler(ResourceListChangedNotificationSchema, refresh('resources'));
    client.setNotificationHandler(PromptListChangedNotificationSchema, refresh('prompts'));
  }
}

/**
 * Lets the lane see the connection's messages first. The stdio transport offers a hook ahead of its schema check;
 * any other transport (Streamable HTTP) has already checked the message, and the lane wraps the SDK's handler.
 */
function attachLane(transport: Transport, lane: CallLane): void {
  if (transport instanceof StdioChildTransport) {
    transport.intercept = lane.take;
    return;
  }
  const sdkHandler = transport.onmessage;
  transport.onmessage = (message, extra) => {
    if (lane.take(message as unknown as Record<string, unknown>)) return;
    sdkHandler?.(message, extra);
  };
}
