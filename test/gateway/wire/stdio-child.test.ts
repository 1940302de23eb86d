// The downstream stdio transport with real child processes: the fixture MCP server, and a few one-line servers for
// what the fixture does not do (non-JSON-RPC JSON, over-long lines, ignoring the end of stdin).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { StdioChildTransport, type StdioChildOptions } from '../../../src/gateway/wire/stdio-child.js';
import { FIXTURE_SERVER_PATH, waitForFixtureState } from '../../fixtures/fixture-helpers.js';
import { until } from './helpers.js';

const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: {
    protocolVersion: '2025-06-18',
    capabilities: {},
    clientInfo: { name: 'wire-test', version: '0' },
  },
} as const;

const started: StdioChildTransport[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((transport) => transport.close()));
});

/** A transport for `options`, with everything it hands on recorded; not started. */
function child(options: Partial<StdioChildOptions> & { args?: string[] }) {
  const stderr: string[] = [];
  const transport = new StdioChildTransport({
    command: process.execPath,
    maxLineBytes: 1024 * 1024,
    onStderr: (chunk) => stderr.push(chunk.toString('utf8')),
    ...options,
  });
  const log: string[] = [];
  const received: JSONRPCMessage[] = [];
  const errors: string[] = [];
  let closed = 0;
  transport.onmessage = (message) => {
    received.push(message);
    log.push(`onmessage ${JSON.stringify('id' in message ? message.id : null)}`);
  };
  transport.onerror = (error) => errors.push(error.message);
  transport.onclose = () => (closed += 1);
  const start = async () => {
    await transport.start();
    started.push(transport);
  };
  return { transport, start, stderr, log, received, errors, closed: () => closed };
}

/** A child running `node -e script`. */
const script = (source: string, options: Partial<StdioChildOptions> = {}) =>
  child({ args: ['-e', source], ...options });

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('StdioChildTransport', () => {
  it('spawns the server, gives its pid, and hands its answers to onmessage', async () => {
    const c = child({ args: [FIXTURE_SERVER_PATH] });
    expect(c.transport.pid).toBeUndefined();
    await c.start();
    const pid = c.transport.pid!;
    expect(pid).toBeGreaterThan(0);
    expect(isAlive(pid)).toBe(true);
    await c.transport.send(INITIALIZE);
    await until(() => c.received.length === 1, 'the initialize answer');
    expect(c.received[0]).toMatchObject({
      jsonrpc: '2.0',
      id: 1,
      result: { serverInfo: { name: 'fixture' } },
    });
    expect(c.errors).toEqual([]);
  });

  it('lets the intercept see each message before onmessage, and take it', async () => {
    const c = child({ args: [FIXTURE_SERVER_PATH] });
    c.transport.intercept = (message) => {
      c.log.push(`intercept ${JSON.stringify(message.id)}`);
      return message.id === 2;
    };
    await c.start();
    await c.transport.send(INITIALIZE);
    await c.transport.send({ jsonrpc: '2.0', id: 2, method: 'ping' });
    await c.transport.send({ jsonrpc: '2.0', id: 3, method: 'ping' });
    await until(() => c.log.length === 5, 'five deliveries');
    expect(c.log).toEqual(['intercept 1', 'onmessage 1', 'intercept 2', 'intercept 3', 'onmessage 3']);
  });

  it('passes what the server writes on stderr to onStderr, and drains it so the server never blocks', async () => {
    // 256 KB on stderr at start, written with blocking writes: the server only answers if stderr is read.
    const c = child({ args: [FIXTURE_SERVER_PATH, '--stderr-noise', '256'] });
    await c.start();
    await c.transport.send(INITIALIZE);
    await until(() => c.received.length === 1, 'the initialize answer');
    const text = c.stderr.join('');
    expect(text.length).toBe(256 * 1024);
    expect(text.startsWith('fixture-server: stderr noise')).toBe(true);
  });

  it('reports a stdout line that is not JSON and keeps the connection working', async () => {
    const c = child({ args: [FIXTURE_SERVER_PATH, '--garbage-stdout'] });
    await c.start();
    await c.transport.send(INITIALIZE);
    await until(() => c.received.length === 1, 'the initialize answer');
    await c.transport.send({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
    await until(() => c.received.length === 2, 'the tools/list answer');
    expect(c.received[1]).toMatchObject({ id: 2, result: { tools: expect.any(Array) } });
    expect(c.errors[0]).toBe('stdout line is not JSON: "fixture: this line is not JSON-RPC (at start)"');
    expect(c.errors.length).toBeGreaterThanOrEqual(3);
    for (const error of c.errors) expect(error).toMatch(/^stdout line is not JSON: "fixture: /);
    expect(c.closed()).toBe(0);
  });

  it('reports JSON that is not JSON-RPC after the intercept passed on it, and reads on', async () => {
    const c = script(
      `process.stdout.write('{"hello":"world"}\\n{"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":1}}\\n');` +
        `process.stdin.resume(); process.stdin.on('end', () => process.exit(0));`,
    );
    const seen: Array<Record<string, unknown>> = [];
    c.transport.intercept = (message) => {
      seen.push(message);
      return false;
    };
    await c.start();
    await until(() => c.received.length === 1, 'the notification');
    expect(seen).toEqual([{ hello: 'world' }, expect.objectContaining({ method: 'notifications/message' })]);
    expect(c.errors).toHaveLength(1);
    expect(c.errors[0]).toMatch(/^stdout: not a JSON-RPC 2\.0 message/);
  });

  it('passes env and cwd to the server, on top of the default environment', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'warden-wire-'));
    const c = script(
      `console.log(JSON.stringify({ jsonrpc: '2.0', method: 'x', params: { v: process.env.WARDEN_WIRE_TEST, cwd: process.cwd(), path: typeof process.env.PATH } }));` +
        `process.stdin.resume(); process.stdin.on('end', () => process.exit(0));`,
      { env: { WARDEN_WIRE_TEST: 'from-config' }, cwd: dir },
    );
    await c.start();
    await until(() => c.received.length === 1, 'the message');
    expect(c.received[0]).toMatchObject({ params: { v: 'from-config', cwd: dir, path: 'string' } });
  });

  it('closes the connection when the server writes a line over the limit', async () => {
    const c = script(
      `process.stdout.write('x'.repeat(5000) + '\\n'); process.stdin.resume(); process.stdin.on('end', () => process.exit(0));`,
      { maxLineBytes: 1024 },
    );
    await c.start();
    const pid = c.transport.pid!;
    await until(() => c.closed() === 1, 'the close');
    expect(c.errors).toEqual(['stdout line of 5000 bytes is over the limit of 1024; closing']);
    expect(isAlive(pid)).toBe(false);
  });

  it('close() ends stdin, waits for the server to exit, and calls onclose once', async () => {
    const c = child({ args: [FIXTURE_SERVER_PATH] });
    await c.start();
    await c.transport.send(INITIALIZE);
    await until(() => c.received.length === 1, 'the initialize answer');
    const pid = c.transport.pid!;
    const began = Date.now();
    await c.transport.close();
    // The fixture exits on the end of stdin: no need for the signals that follow after the grace period.
    expect(Date.now() - began).toBeLessThan(1500);
    expect(isAlive(pid)).toBe(false);
    expect(c.closed()).toBe(1);
    expect(c.transport.pid).toBeUndefined();
    await expect(c.transport.send({ jsonrpc: '2.0', method: 'ping' } as JSONRPCMessage)).rejects.toThrow(
      /not connected: the server process is not running/,
    );
    await c.transport.close(); // a second close is harmless
    expect(c.closed()).toBe(1);
  });

  it('delivers a message sent just before close() before ending stdin', async () => {
    const state = path.join(mkdtempSync(path.join(tmpdir(), 'warden-wire-')), 'state.jsonl');
    const c = child({ args: [FIXTURE_SERVER_PATH, '--state-file', state] });
    await c.start();
    await c.transport.send(INITIALIZE);
    await until(() => c.received.length === 1, 'the initialize answer');
    void c.transport.send({
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: 42, reason: 'shutting down' },
    });
    await c.transport.close();
    const events = await waitForFixtureState(state, (all) => all.some((e) => e.event === 'cancelled'), 1000);
    expect(events.find((e) => e.event === 'cancelled')).toMatchObject({
      requestId: 42,
      reason: 'shutting down',
    });
  });

  it('close() sends SIGTERM to a server that ignores the end of stdin', async () => {
    const c = script('setInterval(() => {}, 1000);');
    await c.start();
    const pid = c.transport.pid!;
    await c.transport.close();
    expect(isAlive(pid)).toBe(false);
    expect(c.closed()).toBe(1);
  });

  it('calls onclose when the server exits on its own', async () => {
    const c = child({ args: [FIXTURE_SERVER_PATH, '--crash-at-start'] });
    await c.start();
    await until(() => c.closed() === 1, 'the close');
    expect(c.stderr.join('')).toContain('crashing at start on purpose');
  });

  it('rejects start() when the command does not exist, and reports it', async () => {
    const c = child({ command: 'warden-no-such-command-xyz', args: [] });
    await expect(c.transport.start()).rejects.toMatchObject({ code: 'ENOENT' });
    expect(c.errors.join('\n')).toMatch(/ENOENT/);
  });

  it('refuses a second start()', async () => {
    const c = child({ args: [FIXTURE_SERVER_PATH] });
    await c.start();
    expect(() => c.transport.start()).toThrow(/already started/);
  });
});
