// Forwarded requests to one downstream server, outside the SDK's Protocol: Warden passes results through untouched,
// so it needs none of the per-request machinery the SDK client adds (a schema parse of every response, a timer and
// an AbortController per request). The lane uses its own id range, matches responses and progress to its requests
// before any other handling, enforces deadlines with one timer, and cancels downstream on abort or timeout the way
// the SDK does (`notifications/cancelled`). Everything else on the connection stays with the SDK client.
import { McpError, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { signalCancel, type CancelToken } from './cancel.js';
import { isObject } from './json-lines.js';

/**
 * The lane's first request id. The SDK client numbers its own requests from 0 on the same connection; ids from here
 * on cannot meet them, and stay within a 32-bit integer for servers that store ids that way.
 */
export const FIRST_LANE_ID = 1_000_000_000;

export type ProgressParams = Record<string, unknown> & { progress: number };

export interface LaneRequestOptions {
  /** Cancelling it cancels the request downstream and rejects with the cancel's reason. */
  cancel?: CancelToken;
  /** The same, as an AbortSignal (used when `cancel` is not given). */
  signal?: AbortSignal;
  /** Asks the server for progress (the lane's request id is the token) and receives it; each one resets the deadline. */
  onprogress?: (progress: ProgressParams) => void;
  /** Fails the request, and cancels it downstream, after this long without a result or progress. */
  timeoutMs?: number;
}

/** The lane's timeout: DownstreamConnection turns it into a message that names the server. */
export class LaneTimeoutError extends Error {
  readonly timeoutMs: number;
  constructor(timeoutMs: number) {
    super(`no result within ${timeoutMs} ms`);
    this.name = 'LaneTimeoutError';
    this.timeoutMs = timeoutMs;
  }
}

interface PendingRequest {
  resolve: (result: Record<string, unknown>) => void;
  reject: (error: unknown) => void;
  deadline: number;
  timeoutMs: number | undefined;
  onprogress: ((progress: ProgressParams) => void) | undefined;
  detach: (() => void) | undefined;
}

export class CallLane {
  private readonly pending = new Map<number, PendingRequest>();
  private nextId = FIRST_LANE_ID;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private closedWith: Error | undefined;
  private readonly send: (message: JSONRPCMessage) => Promise<void>;

  constructor(send: (message: JSONRPCMessage) => Promise<void>) {
    this.send = send;
  }

  /** Requests in flight. */
  get size(): number {
    return this.pending.size;
  }

  /** Sends a request and resolves with its raw result object; rejects with McpError for a JSON-RPC error. */
  request(
    method: string,
    params: Record<string, unknown> | undefined,
    options: LaneRequestOptions = {},
  ): Promise<Record<string, unknown>> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    const { onprogress, timeoutMs } = options;
    const cancel = options.cancel ?? (options.signal ? signalCancel(options.signal) : undefined);
    if (cancel?.aborted) return Promise.reject(cancel.reason);
    const id = this.nextId++;
    let sent = params;
    if (onprogress) {
      const meta = isObject(params?._meta) ? params._meta : {};
      sent = { ...params, _meta: { ...meta, progressToken: id } };
    }
    return new Promise((resolve, reject) => {
      const entry: PendingRequest = {
        resolve,
        reject,
        deadline: timeoutMs === undefined ? Number.POSITIVE_INFINITY : performance.now() + timeoutMs,
        timeoutMs,
        onprogress,
        detach: undefined,
      };
      if (cancel) entry.detach = cancel.onCancel((reason) => this.cancel(id, String(reason), reason));
      this.pending.set(id, entry);
      this.arm(entry.deadline);
      this.send({ jsonrpc: '2.0', id, method, ...(sent === undefined ? {} : { params: sent }) }).catch(
        (error: unknown) => this.settle(id)?.reject(error),
      );
    });
  }

  /**
   * Takes a message meant for the lane (a response to one of its requests, or progress for one); returns false for
   * anything else, which then goes to the SDK client.
   */
  readonly take = (message: Record<string, unknown>): boolean => {
    if (message.method === undefined) {
      const id = message.id;
      if (typeof id !== 'number' || id < FIRST_LANE_ID) return false;
      const entry = this.settle(id);
      if (!entry) return false;
      if (isObject(message.result)) {
        entry.resolve(message.result);
      } else if (isObject(message.error) && typeof message.error.code === 'number') {
        const { code, message: text, data } = message.error;
        entry.reject(new McpError(code, typeof text === 'string' ? text : 'error without a message', data));
      } else {
        entry.reject(new Error('the server answered with neither a result object nor an error'));
      }
      return true;
    }
    if (message.method === 'notifications/progress' && isObject(message.params)) {
      const token = message.params.progressToken;
      const entry = typeof token === 'number' ? this.pending.get(token) : undefined;
      if (!entry?.onprogress || typeof message.params.progress !== 'number') return false;
      if (entry.timeoutMs !== undefined) {
        entry.deadline = performance.now() + entry.timeoutMs;
        this.arm(entry.deadline);
      }
      const { progressToken: _token, ...progress } = message.params;
      entry.onprogress(progress as ProgressParams);
      return true;
    }
    return false;
  };

  /** Fails every request in flight and every later one (the connection is gone). */
  close(error: Error): void {
    this.closedWith = error;
    clearTimeout(this.timer);
    this.timer = undefined;
    const entries = [...this.pending.values()];
    this.pending.clear();
    for (const entry of entries) {
      entry.detach?.();
      entry.reject(error);
    }
  }

  /** Removes a request from the lane; undefined when it already finished. */
  private settle(id: number): PendingRequest | undefined {
    const entry = this.pending.get(id);
    if (!entry) return undefined;
    this.pending.delete(id);
    entry.detach?.();
    return entry;
  }

  /** Tells the server to stop (as the SDK does) and rejects the caller. */
  private cancel(id: number, reason: string, rejection: unknown): void {
    const entry = this.settle(id);
    if (!entry) return;
    this.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason } }).catch(
      () => undefined,
    );
    entry.reject(rejection);
  }

  /** One timer for all deadlines: it fires for the earliest and re-arms for the next. */
  private arm(deadline: number): void {
    if (deadline >= this.timerAt) return;
    clearTimeout(this.timer);
    this.timerAt = deadline;
    this.timer = setTimeout(() => this.sweep(), Math.max(0, deadline - performance.now()));
    this.timer.unref();
  }

  private sweep(): void {
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    const now = performance.now();
    let next = Number.POSITIVE_INFINITY;
    for (const [id, entry] of this.pending) {
      if (entry.deadline <= now) {
        const error = new LaneTimeoutError(entry.timeoutMs ?? 0);
        this.cancel(id, error.message, error);
      } else if (entry.deadline < next) {
        next = entry.deadline;
      }
    }
    if (next !== Number.POSITIVE_INFINITY) this.arm(next);
  }
}
