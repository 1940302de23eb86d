// The upstream stdio transport of `warden serve`: the agent's client writes JSON-RPC lines on stdin, Warden answers on
// stdout. Unlike the SDK's StdioServerTransport it lets the gateway take a message before any schema check (the
// tools/call fast path checks its own, smaller shape); everything else is checked against the SDK's JSON-RPC schema
// and handed to the SDK's Protocol, exactly as the SDK's transport would. Malformed lines get a JSON-RPC error.
import process from 'node:process';
import type { Readable, Writable } from 'node:stream';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ErrorCode, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import {
  JsonLineReader,
  LineWriter,
  checkMessage,
  isObject,
  lineExcerpt,
  trailingRequestId,
} from './json-lines.js';

/** Takes a message before the SDK sees it; returns true when it handled it. */
export type Intercept = (message: Record<string, unknown>) => boolean;

export interface StdioServerOptions {
  /** Longest line accepted; longer ones are dropped and answered with an error. */
  maxLineBytes: number;
  /** Told about every line dropped as oversized (for the audit log). */
  onOversized?: (bytes: number, requestId: string | number | undefined) => void;
}

export class StdioServerTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  /** Set by the gateway: its fast path for tools/call. */
  intercept?: Intercept;

  private started = false;
  private readonly reader: JsonLineReader;
  private readonly writer: LineWriter;
  private readonly stdin: Readable;
  private readonly stdout: Writable;
  private readonly options: StdioServerOptions;

  constructor(
    options: StdioServerOptions,
    stdin: Readable = process.stdin,
    stdout: Writable = process.stdout,
  ) {
    this.options = options;
    this.stdin = stdin;
    this.writer = new LineWriter(stdout);
    this.stdout = stdout;
    this.reader = new JsonLineReader(options.maxLineBytes, {
      message: (value) => this.dispatch(value),
      notJson: (line, error) => {
        this.fail(
          `line ${this.reader.lineNumber} on stdin is not JSON (${error.message}): ${lineExcerpt(line)}`,
          {
            id: null,
            code: ErrorCode.ParseError,
          },
        );
      },
      oversized: (bytes, tail) => {
        const id = trailingRequestId(tail);
        this.options.onOversized?.(bytes, id);
        this.fail(
          `line ${this.reader.lineNumber} on stdin is ${bytes} bytes, over the limit of ${this.options.maxLineBytes}; it was dropped`,
          { id: id ?? null, code: ErrorCode.InvalidRequest },
        );
      },
    });
  }

  async start(): Promise<void> {
    if (this.started) throw new Error('the stdio server transport is already started');
    this.started = true;
    this.stdin.on('data', this.onData);
    this.stdin.on('error', this.onStreamError);
    // A client that goes away leaves writes failing with EPIPE: reported, not thrown (stdin's end stops Warden).
    this.stdout.on('error', this.onStreamError);
  }

  async close(): Promise<void> {
    this.stdin.off('data', this.onData);
    this.stdin.off('error', this.onStreamError);
    this.stdout.off('error', this.onStreamError);
    if (this.stdin.listenerCount('data') === 0) this.stdin.pause();
    this.reader.clear();
    this.onclose?.();
  }

  send(message: JSONRPCMessage): Promise<void> {
    return this.sendText(JSON.stringify(message));
  }

  /** Writes one message already serialized (no newline in it: JSON.stringify never makes one). */
  sendText(json: string): Promise<void> {
    return this.writer.write(json);
  }

  private readonly onData = (chunk: Buffer): void => {
    this.reader.push(chunk);
  };

  private readonly onStreamError = (error: Error): void => {
    this.onerror?.(error);
  };

  private dispatch(value: unknown): void {
    try {
      if (isObject(value) && this.intercept?.(value)) return;
      const checked = checkMessage(value);
      if (!checked.ok) {
        const id =
          isObject(value) && (typeof value.id === 'string' || typeof value.id === 'number') ? value.id : null;
        // Whatever has an id and is not a response is answered, so its sender does not wait forever; a bad
        // notification or response is reported and dropped.
        const isResponse = isObject(value) && ('result' in value || 'error' in value);
        this.fail(
          `line ${this.reader.lineNumber} on stdin: ${checked.error}`,
          id !== null && !isResponse ? { id, code: ErrorCode.InvalidRequest } : undefined,
        );
        return;
      }
      this.onmessage?.(checked.message);
    } catch (error) {
      // A handler's bug must not cost the rest of the chunk.
      this.onerror?.(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** Reports a bad line, and answers it with a JSON-RPC error when there is someone to answer. */
  private fail(message: string, answer?: { id: string | number | null; code: number }): void {
    this.onerror?.(new Error(message));
    if (answer)
      void this.sendText(
        JSON.stringify({ jsonrpc: '2.0', id: answer.id, error: { code: answer.code, message } }),
      );
  }
}
