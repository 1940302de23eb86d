// End to end through Warden's own wire layer (src/gateway/wire/): the built `warden serve` process, raw lines on its
// stdin where a well-behaved client could not send them, the real SDK client for cancellation, and the fixture server
// downstream recording what reached it.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { FIRST_LANE_ID } from '../../src/gateway/wire/call-lane.js';
import { readFixtureState, waitForFixtureState } from '../fixtures/fixture-helpers.js';
import {
  FIXTURE_SERVER,
  WARDEN_CLI,
  readEvents,
  startWarden,
  tempDir,
  textOf,
  waitFor,
  writeConfig,
  type WardenHarness,
} from './harness.js';

const fixture = (...args: string[]) => ({ command: process.execPath, args: [FIXTURE_SERVER, ...args] });

type Line = Record<string, unknown> & {
  id?: unknown;
  error?: { code: number; message: string };
  result?: unknown;
};

/** `warden serve` spawned directly, so a test can write any bytes to its stdin and read every line it answers. */
interface RawWarden {
  child: ChildProcessWithoutNullStreams;
  dbPath: string;
  lines: Line[];
  stderr(): string;
  write(text: string): void;
  send(message: object): void;
  /** The answer (not a notification) with this id, once it arrives. */
  answer(id: string | number | null): Promise<Line>;
  close(): Promise<void>;
}

async function startRawWarden(state: string): Promise<RawWarden> {
  const { configPath, dbPath } = writeConfig({ servers: { fx: fixture('--state-file', state) } });
  const child = spawn(process.execPath, [WARDEN_CLI, 'serve', '--config', configPath], { stdio: 'pipe' });
  const lines: Line[] = [];
  let pending = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    const parts = pending.split('\n');
    pending = parts.pop()!;
    for (const part of parts) lines.push(JSON.parse(part) as Line);
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const raw: RawWarden = {
    child,
    dbPath,
    lines,
    stderr: () => stderr,
    write: (text) => void child.stdin.write(text),
    send: (message) => void child.stdin.write(JSON.stringify(message) + '\n'),
    answer: (id) =>
      waitFor(
        () => lines.find((line) => line.id === id && !('method' in line)),
        10_000,
        `the answer to ${id}`,
      ),
    async close() {
      child.stdin.end();
      await exited;
    },
  };
  raw.send({
    jsonrpc: '2.0',
    id: 'init',
    method: 'initialize',
    params: {
      protocolVersion: '2025-06-18',
      capabilities: {},
      clientInfo: { name: 'raw-agent', version: '0' },
    },
  });
  await raw.answer('init');
  raw.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  return raw;
}

const echo = (id: number | string, text: string) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name: 'fx__echo', arguments: { text } },
});

describe('the wire layer end to end', () => {
  let raw: RawWarden | undefined;
  let warden: WardenHarness | undefined;
  afterEach(async () => {
    await raw?.close();
    await warden?.close();
    raw = undefined;
    warden = undefined;
  });

  it('answers a line of garbage on stdin with a parse error, and the next tools/call still works', async () => {
    raw = await startRawWarden(path.join(tempDir(), 'state.jsonl'));
    raw.write('this is not JSON {{{\n');
    const error = await raw.answer(null);
    expect(error).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32700 } });
    expect(error.error!.message).toMatch(/^line 3 on stdin is not JSON \(.+\): "this is not JSON \{\{\{"$/);

    raw.send(echo(2, 'still here'));
    expect(await raw.answer(2)).toEqual({
      jsonrpc: '2.0',
      id: 2,
      result: { content: [{ type: 'text', text: 'still here' }] },
    });
    // Invalid requests with an id get -32600 with that id; the connection keeps serving.
    raw.send({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { arguments: {} } });
    expect(await raw.answer(3)).toMatchObject({ error: { code: -32602, message: /params\.name/ } });
    raw.send({ jsonrpc: '1.0', id: 4, method: 'tools/list' });
    expect(await raw.answer(4)).toMatchObject({ error: { code: -32600 } });
    raw.send(echo(5, 'and again'));
    expect(textOf((await raw.answer(5)).result)).toBe('and again');
    expect(raw.stderr()).toMatch(/line 3 on stdin is not JSON/);
  });

  it('answers a line over the stdin limit with the id at its end, records message.rejected, and reads on', async () => {
    raw = await startRawWarden(path.join(tempDir(), 'state.jsonl'));
    // The limit is max(16 MiB, 4 × gateway.maxArgumentBytes) = 16 MiB with the default 1 MiB arguments.
    const line = JSON.stringify({
      jsonrpc: '2.0',
      method: 'tools/call',
      params: { name: 'fx__echo', arguments: { text: 'x'.repeat(17 * 1024 * 1024) } },
      id: 9,
    });
    raw.write(line + '\n');
    raw.send(echo(10, 'after the big one'));
    const rejected = await raw.answer(9);
    expect(rejected).toMatchObject({ id: 9, error: { code: -32600 } });
    expect(rejected.error!.message).toContain(`${Buffer.byteLength(line)} bytes, over the limit of 16777216`);
    expect(textOf((await raw.answer(10)).result)).toBe('after the big one');
    const event = await waitFor(
      () => readEvents(raw!.dbPath).find((e) => e.type === 'message.rejected'),
      5_000,
      'message.rejected in the audit log',
    );
    expect(event.data).toMatchObject({ bytes: Buffer.byteLength(line), jsonrpcId: 9 });
    // The dropped call never reached the policy or the server.
    expect(readEvents(raw.dbPath).filter((e) => e.type === 'call.intent')).toHaveLength(1);
  });

  it('does not answer a tools/call the client cancelled, and cancels it downstream', async () => {
    const state = path.join(tempDir(), 'state.jsonl');
    raw = await startRawWarden(state);
    raw.send({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'fx__hang', arguments: {} } });
    await waitForFixtureState(state, (events) => events.some((e) => e.event === 'call' && e.name === 'hang'));
    raw.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 7, reason: 'stop' } });
    await waitForFixtureState(state, (events) => events.some((e) => e.event === 'aborted'));
    raw.send(echo(8, 'next'));
    await raw.answer(8);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(raw.lines.some((line) => line.id === 7)).toBe(false);
    const outcome = await waitFor(
      () => readEvents(raw!.dbPath).find((e) => e.type === 'call.outcome' && e.data.status === 'cancelled'),
      5_000,
      'the cancelled outcome',
    );
    expect(outcome.data.error).toMatch(/cancelled by the client: stop/);
  });

  it('refuses a tools/call whose id is in use by a call in flight, so a cancel still reaches the first', async () => {
    const state = path.join(tempDir(), 'state.jsonl');
    raw = await startRawWarden(state);
    raw.send({
      jsonrpc: '2.0',
      id: 'dup',
      method: 'tools/call',
      params: { name: 'fx__hang', arguments: {} },
    });
    await waitForFixtureState(state, (events) => events.some((e) => e.event === 'call' && e.name === 'hang'));
    raw.send(echo('dup', 'second'));
    expect(await raw.answer('dup')).toEqual({
      jsonrpc: '2.0',
      id: 'dup',
      error: {
        code: -32600,
        message:
          'request id "dup" is already in use by a tools/call in flight; ids must be unique among requests in flight',
      },
    });
    raw.send({
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: 'dup', reason: 'stop' },
    });
    await waitForFixtureState(state, (events) => events.some((e) => e.event === 'aborted'));
    // The second call never ran.
    expect(readFixtureState(state).filter((e) => e.event === 'call' && e.name === 'echo')).toHaveLength(0);
  });

  it('passes a cancel from the SDK client (AbortSignal) to the downstream tool, and the audit records it', async () => {
    const dir = tempDir();
    const state = path.join(dir, 'state.jsonl');
    warden = await startWarden({ dir, servers: { fx: fixture('--state-file', state) } });
    const controller = new AbortController();
    const call = warden.client.callTool({ name: 'fx__hang', arguments: {} }, CallToolResultSchema, {
      signal: controller.signal,
    });
    const [started] = (
      await waitForFixtureState(state, (events) =>
        events.some((e) => e.event === 'call' && e.name === 'hang'),
      )
    ).filter((e) => e.event === 'call');
    controller.abort('user pressed stop');
    await expect(call).rejects.toThrow();

    // Warden forwarded the call on its lane (ids from FIRST_LANE_ID), and cancelled that very request.
    expect(started!.requestId).toBeGreaterThanOrEqual(FIRST_LANE_ID);
    const events = await waitForFixtureState(state, (all) => all.some((e) => e.event === 'aborted'));
    expect(events.find((e) => e.event === 'cancelled')).toMatchObject({ requestId: started!.requestId });
    expect(events.find((e) => e.event === 'aborted')).toMatchObject({
      name: 'hang',
      requestId: started!.requestId,
    });

    const outcome = (await warden.callEvents('fx__hang')).at(-1)!;
    expect(outcome.type).toBe('call.outcome');
    expect(outcome.data).toMatchObject({ status: 'cancelled' });
    expect(String(outcome.data.error)).toContain('user pressed stop');

    // The connection, upstream and downstream, keeps working.
    const after = await warden.client.callTool({ name: 'fx__echo', arguments: { text: 'after the cancel' } });
    expect(textOf(after)).toBe('after the cancel');
    expect(
      readFixtureState(state)
        .filter((e) => e.event === 'call')
        .map((e) => e.name),
    ).toEqual(['hang', 'echo']);
  });
});
