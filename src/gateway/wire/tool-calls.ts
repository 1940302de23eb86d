// The tools/call fast path of `warden serve`: tool calls are taken off the stdio transport before the SDK's Protocol,
// checked against the shape of a tools/call request here, handled, and answered on the same transport. It keeps the
// Protocol's behaviour where a client can see it: cancellation (`notifications/cancelled`) aborts the handler and
// suppresses the answer, progress goes out as notifications, errors become JSON-RPC errors the same way. Every
// other message (initialize, listings, pings, …) still goes through the SDK.
import { ErrorCode, McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { CallCancel, type CancelToken } from './cancel.js';
import { isObject } from './json-lines.js';
import type { Intercept, StdioServerTransport } from './stdio-server.js';

/** The params of a tools/call request, checked. */
export interface CallParams {
  name: string;
  arguments?: Record<string, unknown>;
  _meta?: Record<string, unknown> & { progressToken?: string | number };
}

/** What a tool call handler may do besides returning: notice a cancel, send notifications (progress). */
export interface ToolCallContext {
  cancel: CancelToken;
  notify(notification: { method: string; params: Record<string, unknown> }): Promise<void>;
}

export type ToolCallHandler = (params: CallParams, context: ToolCallContext) => Promise<CallToolResult>;

/** Where a result keeps its JSON text once serializeResult made it (a symbol: JSON.stringify and the SDK skip it). */
const SERIALIZED = Symbol('warden.serialized');

/**
 * The JSON text of a result, made once: it is remembered on the result, so the answer written to the agent reuses
 * it (a large result is not serialized twice).
 */
export function serializeResult(result: object): string {
  const holder = result as { [SERIALIZED]?: string };
  const known = holder[SERIALIZED];
  if (known !== undefined) return known;
  const json = JSON.stringify(result);
  // A frozen result (none is, today) is serialized again when asked again: correct, only slower.
  if (Object.isExtensible(result))
    Object.defineProperty(holder, SERIALIZED, { value: json, enumerable: false });
  return json;
}

/** The params checked as the SDK's CallToolRequestSchema checks them; a string says what is wrong. */
export function checkCallParams(params: unknown): CallParams | string {
  if (!isObject(params)) return 'params: expected an object';
  if (typeof params.name !== 'string') return 'params.name: expected a string';
  if (params.arguments !== undefined && !isObject(params.arguments)) {
    return 'params.arguments: expected an object';
  }
  const meta = params._meta;
  if (meta !== undefined) {
    if (!isObject(meta)) return 'params._meta: expected an object';
    const token = meta.progressToken;
    if (token !== undefined && typeof token !== 'string' && !Number.isInteger(token)) {
      return 'params._meta.progressToken: expected a string or a whole number';
    }
  }
  return params as unknown as CallParams;
}

/** A thrown error as a JSON-RPC error object, the way the SDK's Protocol makes one. */
export function toJsonRpcError(error: unknown): { code: number; message: string; data?: unknown } {
  const fields = (isObject(error) ? error : {}) as { code?: unknown; message?: unknown; data?: unknown };
  return {
    code: Number.isSafeInteger(fields.code) ? (fields.code as number) : ErrorCode.InternalError,
    message:
      typeof fields.message === 'string'
        ? error instanceof McpError
          ? jsonRpcErrorMessage(error)
          : fields.message
        : 'Internal error',
    ...(fields.data !== undefined ? { data: fields.data } : {}),
  };
}

/**
 * An error the SDK's Protocol sends as `{ code, message, data }` with `message` as given: it uses `error.message`,
 * which an McpError has already prefixed with "MCP error <code>: " (the client then adds its own).
 */
export function wireError(code: number, message: string, data?: unknown): Error {
  return Object.assign(new Error(message), { code, ...(data !== undefined ? { data } : {}) });
}

/** A downstream server's JSON-RPC error, passed on through the SDK's Protocol as it came; anything else as is. */
export function passOn(error: unknown): unknown {
  return error instanceof McpError ? wireError(error.code, jsonRpcErrorMessage(error), error.data) : error;
}

/**
 * The message a JSON-RPC error carried on the wire. McpError puts "MCP error <code>: " in front of it, and the client
 * that receives it adds its own: passed on as is, every hop would add one more.
 */
export function jsonRpcErrorMessage(error: unknown): string {
  if (!(error instanceof McpError)) return error instanceof Error ? error.message : String(error);
  const prefix = `MCP error ${error.code}: `;
  return error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
}

/**
 * The intercept for the stdio transport: takes tools/call requests and the cancellations of those in flight.
 * `report` hears about answers that could not be written.
 */
export function interceptToolCalls(
  transport: StdioServerTransport,
  handler: ToolCallHandler,
  report: (error: unknown) => void,
): Intercept {
  const inFlight = new Map<string | number, CallCancel>();
  const answer = (json: string, cancel: CallCancel): Promise<void> | undefined =>
    // The SDK does not answer a request the client cancelled; neither does Warden.
    cancel.aborted ? undefined : transport.sendText(json);

  return (message) => {
    const { method, id } = message;
    if (
      method === 'tools/call' &&
      message.jsonrpc === '2.0' &&
      (typeof id === 'string' || typeof id === 'number')
    ) {
      const params = checkCallParams(message.params);
      if (typeof params === 'string') {
        const error = { code: ErrorCode.InvalidParams, message: `Invalid tools/call request: ${params}` };
        transport.sendText(JSON.stringify({ jsonrpc: '2.0', id, error })).catch(report);
        return true;
      }
      if (inFlight.has(id)) {
        // Security: a second call under the same id would take the first one's place, and a cancel for that id
        // would then never reach the first (an approval it holds could no longer be cancelled).
        const error = {
          code: ErrorCode.InvalidRequest,
          message: `request id ${JSON.stringify(id)} is already in use by a tools/call in flight; ids must be unique among requests in flight`,
        };
        transport.sendText(JSON.stringify({ jsonrpc: '2.0', id, error })).catch(report);
        return true;
      }
      const cancel = new CallCancel();
      inFlight.set(id, cancel);
      const notify: ToolCallContext['notify'] = (notification) =>
        cancel.aborted ? Promise.resolve() : transport.send({ jsonrpc: '2.0', ...notification });
      handler(params, { cancel, notify })
        .then(
          (result) =>
            answer(
              `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":${serializeResult(result)}}`,
              cancel,
            ),
          (error: unknown) =>
            answer(JSON.stringify({ jsonrpc: '2.0', id, error: toJsonRpcError(error) }), cancel),
        )
        .catch(report)
        .finally(() => {
          if (inFlight.get(id) === cancel) inFlight.delete(id);
        });
      return true;
    }
    if (method === 'notifications/cancelled' && isObject(message.params)) {
      const requestId = message.params.requestId;
      const cancel =
        typeof requestId === 'string' || typeof requestId === 'number' ? inFlight.get(requestId) : undefined;
      if (!cancel) return false;
      cancel.cancel(message.params.reason);
      return true;
    }
    return false;
  };
}
