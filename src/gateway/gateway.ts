// The gateway: one upstream MCP server (low-level SDK Server) in front of every configured downstream server.
// Tools and prompts are re-exposed as `<server>__<name>` through explicit maps; resources keep their URIs.
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import { UriTemplate } from '@modelcontextprotocol/sdk/shared/uriTemplate.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  ReadResourceRequestSchema,
  type Prompt,
  type ServerNotification,
  type ServerRequest,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import type { WardenConfig } from '../config/schema.js';
import { DownstreamConnection, type DownstreamEvents } from './downstream.js';
import { NAME_SEPARATOR, buildNameMap, sanitizeNamePart, type NamedEntry } from './naming.js';
import {
  createCallPipeline,
  redactorCache,
  type AuditSink,
  type PolicyRef,
  type ToolTarget,
} from './pipeline.js';
import type { ApprovalGate } from './approval-gate.js';
import { WARDEN_TOOLS, callWardenTool, isWardenTool } from './warden-tools.js';
import { createGuardedReads } from './guarded-reads.js';
import { signalCancel } from './wire/cancel.js';
import { StdioServerTransport } from './wire/stdio-server.js';
import {
  interceptToolCalls,
  passOn,
  wireError,
  type CallParams,
  type ToolCallHandler,
} from './wire/tool-calls.js';

export interface GatewayOptions {
  config: WardenConfig;
  policy: PolicyRef;
  audit: AuditSink;
  logger: Logger;
  sessionId: string;
  version: string;
  /** Parks calls that need approval; without it they fail closed and Warden's own tools are not listed. */
  approvals?: ApprovalGate;
}

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

interface PromptTarget extends NamedEntry<Prompt> {
  connection: DownstreamConnection;
}

/** The upstream MCP server and the downstream connections behind it. */
export class Gateway {
  readonly server: Server;
  readonly connections = new Map<string, DownstreamConnection>();
  private toolMap = new Map<string, ToolTarget>();
  private promptMap = new Map<string, PromptTarget>();
  /** Every exposed name given this session, kept so that a name never moves to another tool (see buildNameMap). */
  private readonly toolNameGiven = new Map<string, string>();
  private readonly promptNameGiven = new Map<string, string>();
  private initialStart: Promise<void> = Promise.resolve();
  /** Set once every downstream has connected or failed once (calls no longer wait for initialStart). */
  private started = false;
  /** Handles one tools/call, whichever way it arrived (set by installHandlers). */
  private callTool!: ToolCallHandler;
  private upstreamConnected = false;
  private readonly options: GatewayOptions;

  constructor(options: GatewayOptions) {
    this.options = options;
    this.server = new Server(
      { name: 'warden', title: 'Warden', version: options.version },
      {
        capabilities: {
          tools: { listChanged: true },
          resources: { listChanged: true },
          prompts: { listChanged: true },
        },
        instructions:
          "Warden is a policy gateway: every tool call is checked against the operator's risk policy and recorded. " +
          'A call that is denied returns an error result explaining why; do not retry it unchanged.',
      },
    );
    this.server.onerror = (error) => options.logger.warn(`upstream: ${errorMessage(error)}`);
    const events: DownstreamEvents = {
      onReady: (connection, restarted) => this.onReady(connection, restarted),
      onDown: (connection, error, crashed, retryIn) => this.onDown(connection, error, crashed, retryIn),
      onListChanged: (connection, what) => this.onListChanged(connection, what),
    };
    for (const [name, serverConfig] of Object.entries(options.config.servers)) {
      if (serverConfig.disabled) continue;
      this.connections.set(
        name,
        new DownstreamConnection(name, serverConfig, {
          clientInfo: { name: 'warden', version: options.version },
          startTimeoutMs: options.config.gateway.startTimeoutMs,
          restart: options.config.gateway.restart,
          logger: options.logger,
          events,
        }),
      );
    }
    this.installHandlers();
  }

  /** Starts every downstream server concurrently; resolves when each has either connected or failed once. */
  startDownstreams(): Promise<void> {
    this.initialStart = Promise.all([...this.connections.values()].map((c) => c.start())).then(() => {
      this.rebuildMaps();
      this.started = true;
    });
    return this.initialStart;
  }

  /**
   * Serves MCP on the given transport (stdio for `warden serve`). On Warden's own stdio transport, tool calls take
   * the fast path (wire/tool-calls.ts) instead of the SDK's Protocol.
   */
  async connect(transport: Transport): Promise<void> {
    if (transport instanceof StdioServerTransport) {
      transport.intercept = interceptToolCalls(transport, this.callTool, (error) =>
        this.options.logger.warn(`could not answer a tool call: ${errorMessage(error)}`),
      );
    }
    await this.server.connect(transport);
    this.upstreamConnected = true;
  }

  /** The exposed tool names, in order (for tests and the CLI). */
  toolNames(): string[] {
    return [...this.toolMap.keys()];
  }

  async close(): Promise<void> {
    await Promise.all([...this.connections.values()].map((c) => c.close()));
    await this.server.close().catch(() => undefined);
  }

  private installHandlers(): void {
    const { config, logger } = this.options;
    const agent = () => {
      const info = this.server.getClientVersion();
      return info ? { name: info.name, version: info.version } : {};
    };
    const pipeline = createCallPipeline({
      policy: this.options.policy,
      audit: this.options.audit,
      principal: config.principal,
      sessionId: this.options.sessionId,
      agent,
      maxArgumentBytes: config.gateway.maxArgumentBytes,
      callTimeoutMs: config.gateway.callTimeoutMs,
      excerptChars: config.audit.excerptChars,
      logger,
      ...(this.options.approvals ? { approvals: this.options.approvals } : {}),
    });
    const gate = this.options.approvals;
    const wardenToolRedactor = redactorCache();
    const guardedRead = createGuardedReads({
      policy: this.options.policy,
      audit: this.options.audit,
      principal: config.principal,
      sessionId: this.options.sessionId,
      agent,
      excerptChars: config.audit.excerptChars,
    });

    this.server.setRequestHandler(ListToolsRequestSchema, async () => {
      await this.initialStart;
      const tools: Tool[] = gate ? [...WARDEN_TOOLS] : [];
      for (const [name, target] of this.toolMap) tools.push({ ...target.item, name });
      return { tools };
    });

    this.callTool = async (params, { cancel, notify }) => {
      if (!this.started) await this.initialStart;
      const exposedName = params.name;
      if (gate && isWardenTool(exposedName)) {
        const token = params._meta?.progressToken;
        const redact = wardenToolRedactor(this.options.policy.current);
        return callWardenTool(
          gate,
          exposedName,
          params.arguments,
          {
            clientName: this.server.getClientVersion()?.name,
            signal: cancel.signal,
            sendProgress:
              token === undefined
                ? undefined
                : (progress) =>
                    notify({
                      method: 'notifications/progress',
                      params: { ...progress, progressToken: token },
                    }),
          },
          (text) => String(redact(text)),
        );
      }
      const target = this.toolMap.get(exposedName);
      return pipeline({
        exposedName,
        target,
        ...(target ? {} : this.unavailable(exposedName)),
        args: params.arguments,
        meta: params._meta,
        cancel,
        sendProgress: (progress) => notify({ method: 'notifications/progress', params: progress }),
      });
    };
    // Transports other than Warden's stdio one reach tool calls through the SDK.
    this.server.setRequestHandler(CallToolRequestSchema, (request, extra: Extra) =>
      this.callTool(request.params as CallParams, {
        cancel: signalCancel(extra.signal),
        notify: (notification) => extra.sendNotification(notification as ServerNotification),
      }),
    );

    this.server.setRequestHandler(ListPromptsRequestSchema, async () => {
      await this.initialStart;
      const prompts: Prompt[] = [];
      for (const [name, target] of this.promptMap) prompts.push({ ...target.item, name });
      return { prompts };
    });

    this.server.setRequestHandler(GetPromptRequestSchema, async (request, extra: Extra) => {
      await this.initialStart;
      const target = this.promptMap.get(request.params.name);
      if (!target) {
        throw wireError(
          ErrorCode.InvalidParams,
          `unknown prompt "${request.params.name}"; list the prompts again`,
        );
      }
      return (await guardedRead({
        method: 'prompts/get',
        server: target.server,
        connection: target.connection,
        exposedName: request.params.name,
        args: { name: target.name, arguments: request.params.arguments ?? {} },
        params: { ...request.params, name: target.name },
        signal: extra.signal,
      }).catch((error: unknown) => Promise.reject(passOn(error)))) as never;
    });

    this.server.setRequestHandler(ListResourcesRequestSchema, async () => {
      await this.initialStart;
      const seen = new Set<string>();
      const resources = [];
      for (const connection of this.connections.values()) {
        for (const resource of connection.resources) {
          if (seen.has(resource.uri)) continue;
          seen.add(resource.uri);
          resources.push(resource);
        }
      }
      return { resources };
    });

    this.server.setRequestHandler(ListResourceTemplatesRequestSchema, async () => {
      await this.initialStart;
      return { resourceTemplates: [...this.connections.values()].flatMap((c) => c.resourceTemplates) };
    });

    this.server.setRequestHandler(ReadResourceRequestSchema, async (request, extra: Extra) => {
      await this.initialStart;
      const connection = this.resourceOwner(request.params.uri);
      if (!connection) {
        throw wireError(
          ErrorCode.InvalidParams,
          `no downstream server offers resource "${request.params.uri}"; list the resources again`,
        );
      }
      return (await guardedRead({
        method: 'resources/read',
        server: connection.name,
        connection,
        exposedName: request.params.uri,
        args: { uri: request.params.uri },
        params: request.params,
        signal: extra.signal,
      }).catch((error: unknown) => Promise.reject(passOn(error)))) as never;
    });
  }

  /** The server that listed this URI, else the first whose template matches it. */
  private resourceOwner(uri: string): DownstreamConnection | undefined {
    for (const connection of this.connections.values()) {
      if (connection.resources.some((r) => r.uri === uri)) return connection;
    }
    for (const connection of this.connections.values()) {
      for (const template of connection.resourceTemplates) {
        try {
          if (new UriTemplate(template.uriTemplate).match(uri)) return connection;
        } catch {
          // A malformed template of one server must not break reads for the others.
        }
      }
    }
    return undefined;
  }

  /** For a name no tool has: the configured server it would belong to, when that server is not running. */
  private unavailable(exposedName: string): { unavailable?: { server: string; why: string } } {
    for (const connection of this.connections.values()) {
      if (connection.state === 'ready') continue;
      if (!exposedName.startsWith(`${sanitizeNamePart(connection.name)}${NAME_SEPARATOR}`)) continue;
      const why = connection.lastError ? `: ${connection.lastError}` : '';
      return {
        unavailable: {
          server: connection.name,
          why: `its server "${connection.name}" is ${connection.state === 'starting' ? 'still starting' : `not running${why}`}`,
        },
      };
    }
    return {};
  }

  private rebuildMaps(): void {
    const { logger } = this.options;
    const toolEntries: ToolTarget[] = [];
    const promptEntries: PromptTarget[] = [];
    for (const connection of this.connections.values()) {
      for (const tool of connection.tools)
        toolEntries.push({ server: connection.name, name: tool.name, item: tool, connection });
      for (const prompt of connection.prompts) {
        promptEntries.push({ server: connection.name, name: prompt.name, item: prompt, connection });
      }
    }
    this.toolMap = buildNameMap(toolEntries, this.toolNameGiven, (entry, given) =>
      logger.warn(
        `tool "${entry.name}" of server "${entry.server}" collides with another tool's name; exposed as "${given}"`,
      ),
    ) as Map<string, ToolTarget>;
    this.promptMap = buildNameMap(promptEntries, this.promptNameGiven) as Map<string, PromptTarget>;
  }

  private notify(method: 'tools' | 'resources' | 'prompts'): void {
    if (!this.upstreamConnected) return;
    const send =
      method === 'tools'
        ? this.server.sendToolListChanged()
        : method === 'resources'
          ? this.server.sendResourceListChanged()
          : this.server.sendPromptListChanged();
    void send.catch((error: unknown) =>
      this.options.logger.debug(`could not send ${method}/list_changed: ${errorMessage(error)}`),
    );
  }

  private onReady(connection: DownstreamConnection, restarted: boolean): void {
    const transport = 'command' in this.options.config.servers[connection.name]! ? 'stdio' : 'http';
    this.options.logger.info(
      `server "${connection.name}" ${restarted ? 'restarted' : 'connected'} (${transport}, ${connection.tools.length} tools)`,
    );
    this.options.audit.append({
      type: restarted ? 'server.restarted' : 'server.connected',
      sessionId: this.options.sessionId,
      data: {
        server: connection.name,
        transport,
        toolCount: connection.tools.length,
        attempt: connection.attempt,
      },
    });
    if (restarted) {
      const before = this.toolNames().join('\n');
      this.rebuildMaps();
      if (this.toolNames().join('\n') !== before) this.notify('tools');
    }
  }

  private onDown(
    connection: DownstreamConnection,
    error: string,
    failedAttempt: number | undefined,
    retryIn?: number,
  ): void {
    const max = this.options.config.gateway.restart.maxAttempts;
    const what =
      failedAttempt === undefined
        ? 'crashed'
        : failedAttempt === 0
          ? 'failed to start'
          : `failed to restart (attempt ${failedAttempt} of ${max})`;
    const next =
      retryIn === undefined
        ? 'giving up'
        : `restarting in ${retryIn} ms (attempt ${connection.attempt} of ${max})`;
    this.options.logger.error(`server "${connection.name}" ${what}: ${error}; ${next}`);
    this.options.audit.append({
      type: failedAttempt === undefined ? 'server.crashed' : 'server.failed',
      sessionId: this.options.sessionId,
      data: {
        server: connection.name,
        error,
        ...(failedAttempt !== undefined ? { attempt: failedAttempt } : {}),
        ...(retryIn !== undefined ? { retryInMs: retryIn, nextAttempt: connection.attempt } : {}),
      },
    });
  }

  private onListChanged(connection: DownstreamConnection, what: 'tools' | 'resources' | 'prompts'): void {
    this.options.logger.info(`server "${connection.name}" changed its ${what}`);
    this.rebuildMaps();
    this.notify(what);
  }
}
