// The downstream stdio transport: spawns an MCP server and speaks JSON-RPC lines over its stdin/stdout. It behaves like
// the SDK's StdioClientTransport (same spawn, same inherited environment, same close: end stdin, then SIGTERM, then
// SIGKILL), and adds what the gateway needs: its call lane sees each message before any schema check, stderr goes
// to a callback, and a line that is too long or not JSON is reported instead of being fatal.
import type { ChildProcess } from 'node:child_process';
import process from 'node:process';
import spawn from 'cross-spawn';
import { getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { JsonLineReader, LineWriter, checkMessage, isObject, lineExcerpt } from './json-lines.js';
import type { Intercept } from './stdio-server.js';

/** How long close() waits after ending stdin, and again after SIGTERM. */
const CLOSE_GRACE_MS = 2_000;

export interface StdioChildOptions {
  command: string;
  args?: string[];
  env?: Record<string, string>;
  cwd?: string;
  /** Longest stdout line accepted; a longer one closes the connection (its response can never be matched). */
  maxLineBytes: number;
  /** Each chunk the child writes on stderr (which must be drained, or the child blocks). */
  onStderr?: (chunk: Buffer) => void;
}

export class StdioChildTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  /** Set by the downstream connection: its call lane. */
  intercept?: Intercept;

  private child: ChildProcess | undefined;
  private writer: LineWriter | undefined;
  private readonly reader: JsonLineReader;
  private readonly options: StdioChildOptions;

  constructor(options: StdioChildOptions) {
    this.options = options;
    this.reader = new JsonLineReader(options.maxLineBytes, {
      message: (value) => {
        try {
          if (isObject(value) && this.intercept?.(value)) return;
          const checked = checkMessage(value);
          if (checked.ok) this.onmessage?.(checked.message);
          else this.onerror?.(new Error(`stdout: ${checked.error}`));
        } catch (error) {
          this.onerror?.(error instanceof Error ? error : new Error(String(error)));
        }
      },
      // Servers that print logs on stdout are common: reported, not fatal.
      notJson: (line) => this.onerror?.(new Error(`stdout line is not JSON: ${lineExcerpt(line)}`)),
      oversized: (bytes) => {
        this.onerror?.(
          new Error(
            `stdout line of ${bytes} bytes is over the limit of ${this.options.maxLineBytes}; closing`,
          ),
        );
        void this.close();
      },
    });
  }

  /** The child's pid once started. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): Promise<void> {
    if (this.child) throw new Error('the stdio child transport is already started');
    const { command, args = [], env, cwd } = this.options;
    return new Promise((resolve, reject) => {
      const child = spawn(command, args, {
        env: { ...getDefaultEnvironment(), ...env },
        stdio: ['pipe', 'pipe', 'pipe'],
        shell: false,
        windowsHide: process.platform === 'win32',
        ...(cwd ? { cwd } : {}),
      });
      this.child = child;
      if (child.stdin) this.writer = new LineWriter(child.stdin);
      child.on('error', (error) => {
        reject(error);
        this.onerror?.(error);
      });
      child.on('spawn', () => resolve());
      child.on('close', () => {
        this.child = undefined;
        this.writer = undefined;
        this.reader.clear();
        this.onclose?.();
      });
      child.stdin?.on('error', (error) => this.onerror?.(error));
      child.stdout?.on('data', (chunk: Buffer) => this.reader.push(chunk));
      child.stdout?.on('error', (error) => this.onerror?.(error));
      child.stderr?.on('data', (chunk: Buffer) => this.options.onStderr?.(chunk));
    });
  }

  send(message: JSONRPCMessage): Promise<void> {
    return this.sendText(JSON.stringify(message));
  }

  /** Writes one message already serialized. */
  sendText(json: string): Promise<void> {
    if (!this.writer) return Promise.reject(new Error('not connected: the server process is not running'));
    return this.writer.write(json);
  }

  async close(): Promise<void> {
    const child = this.child;
    if (!child) return;
    const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
    const waitClosed = () =>
      Promise.race([closed, new Promise<void>((resolve) => setTimeout(resolve, CLOSE_GRACE_MS).unref())]);
    // The writer puts out what was sent on a later tick (LineWriter); let it, or ending stdin drops those messages.
    await new Promise<void>((resolve) => process.nextTick(resolve));
    try {
      child.stdin?.end();
    } catch {
      // Already closed.
    }
    await waitClosed();
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await waitClosed();
    }
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}
