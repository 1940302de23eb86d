// The upstream stdio transport of `warden serve`, driven through real streams: what reaches the SDK, what the
// intercept takes first, and the JSON-RPC errors a malformed or oversized line is answered with.
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { StdioServerTransport, type StdioServerOptions } from '../../../src/gateway/wire/stdio-server.js';
import { captureLines, settle, until } from './helpers.js';

const open: StdioServerTransport[] = [];
afterEach(async () => {
  for (const transport of open.splice(0)) await transport.close();
});

/** A started transport on PassThrough streams, and everything it hands on, reports and writes. */
async function serve(options: Partial<StdioServerOptions> = {}) {
  const stdin = new PassThrough();
  const stdout = captureLines();
  const oversized: Array<{ bytes: number; requestId: string | number | undefined }> = [];
  const transport = new StdioServerTransport(
    {
      maxLineBytes: 1024,
      onOversized: (bytes, requestId) => oversized.push({ bytes, requestId }),
      ...options,
    },
    stdin,
    stdout.stream,
  );
  const received: JSONRPCMessage[] = [];
  const errors: string[] = [];
  transport.onmessage = (message) => received.push(message);
  transport.onerror = (error) => errors.push(error.message);
  await transport.start();
  open.push(transport);
  const write = (text: string) => stdin.write(text);
  const writeMessage = (message: object) => stdin.write(JSON.stringify(message) + '\n');
  return {
    transport,
    stdin,
    stdout: stdout.stream,
    out: stdout.lines,
    raw: stdout.raw,
    received,
    errors,
    oversized,
    write,
    writeMessage,
  };
}

describe('StdioServerTransport', () => {
  it('hands requests, notifications and responses to onmessage as the SDK parsed them', async () => {
    const s = await serve();
    const messages = [
      {
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {} },
      },
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      { jsonrpc: '2.0', id: 'srv-1', result: { roots: [] } },
    ];
    s.write(messages.map((m) => JSON.stringify(m)).join('\n') + '\n');
    await until(() => s.received.length === 3, 'three messages');
    expect(s.received).toEqual(messages);
    expect(s.errors).toEqual([]);
    expect(s.out).toEqual([]);
  });

  it('reassembles a message written in pieces', async () => {
    const s = await serve();
    const text = JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'ping' }) + '\n';
    for (const char of text) s.write(char);
    await until(() => s.received.length === 1, 'the message');
    expect(s.received[0]).toEqual({ jsonrpc: '2.0', id: 3, method: 'ping' });
  });

  it('lets the intercept take a message before the schema check and before onmessage', async () => {
    const s = await serve();
    const seen: Array<Record<string, unknown>> = [];
    s.transport.intercept = (message) => {
      seen.push(message);
      return message.method === 'tools/call';
    };
    // Not valid JSON-RPC (no "jsonrpc"), yet the intercept sees it first and takes it: no error, no answer.
    s.writeMessage({ id: 1, method: 'tools/call', params: { name: 'a' } });
    s.writeMessage({ jsonrpc: '2.0', id: 2, method: 'ping' });
    await until(() => s.received.length === 1, 'the ping');
    expect(seen.map((m) => m.id)).toEqual([1, 2]);
    expect(s.received).toEqual([{ jsonrpc: '2.0', id: 2, method: 'ping' }]);
    expect(s.errors).toEqual([]);
    expect(s.out).toEqual([]);
  });

  it('does not offer the intercept values that are not JSON objects', async () => {
    const s = await serve();
    const seen: unknown[] = [];
    s.transport.intercept = (message) => {
      seen.push(message);
      return true;
    };
    s.write('[{"jsonrpc":"2.0","id":1,"method":"ping"}]\n42\n');
    await until(() => s.errors.length === 2, 'two errors');
    expect(seen).toEqual([]);
  });

  it('answers a line that is not JSON with a parse error (id null), reports it, and reads on', async () => {
    const s = await serve();
    s.write('hello, is this MCP?\n');
    s.writeMessage({ jsonrpc: '2.0', id: 4, method: 'ping' });
    await until(() => s.received.length === 1 && s.out.length === 1, 'the answer and the ping');
    expect(s.out[0]).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32700 } });
    const error = (s.out[0] as { error: { message: string } }).error;
    expect(error.message).toMatch(/^line 1 on stdin is not JSON \(.+\): "hello, is this MCP\?"$/);
    expect(s.errors).toEqual([error.message]);
    expect(s.received).toEqual([{ jsonrpc: '2.0', id: 4, method: 'ping' }]);
  });

  it('quotes at most the opening of a long line that is not JSON', async () => {
    const s = await serve();
    s.write(`${'garbage '.repeat(100)}\n`);
    await until(() => s.out.length === 1, 'the parse error');
    const message = (s.out[0] as { error: { message: string } }).error.message;
    expect(message.length).toBeLessThan(300);
    expect(message.endsWith('…')).toBe(true);
  });

  it('answers an invalid request that has an id with -32600 and that id, numeric or string', async () => {
    const s = await serve();
    s.writeMessage({ jsonrpc: '1.0', id: 11, method: 'ping' });
    s.writeMessage({ jsonrpc: '2.0', id: 'req-12', method: 'tools/call', params: 'not an object' });
    s.writeMessage({ id: 13, method: 'tools/list' });
    await until(() => s.out.length === 3, 'three answers');
    expect(s.out.map((a) => a.id)).toEqual([11, 'req-12', 13]);
    for (const answer of s.out) {
      expect(answer).toMatchObject({ jsonrpc: '2.0', error: { code: -32600 } });
      expect((answer as { error: { message: string } }).error.message).toMatch(
        /^line \d on stdin: not a JSON-RPC 2\.0 message/,
      );
    }
    expect(s.errors).toHaveLength(3);
    expect(s.received).toEqual([]);
  });

  it('does not answer an invalid notification or response, but reports it; answers anything else with an id', async () => {
    const s = await serve();
    s.writeMessage({ jsonrpc: '1.0', method: 'notifications/initialized' });
    s.writeMessage({ jsonrpc: '2.0', id: 5 }); // neither a request nor a response: its sender may be waiting
    s.write('42\n');
    s.writeMessage({ jsonrpc: '2.0', id: 6, result: 'not an object' }); // a bad response: nobody to answer
    // A line that is answered, to know the ones before it were handled (lines are handled in order).
    s.write('not json\n');
    await until(() => s.out.length >= 2, 'the parse error');
    await settle();
    expect(s.out).toHaveLength(2);
    expect(s.out[0]).toMatchObject({ id: 5, error: { code: -32600 } });
    expect(s.out[1]).toMatchObject({ id: null, error: { code: -32700 } });
    expect(s.errors).toHaveLength(5);
    expect(s.errors[0]).toMatch(/^line 1 on stdin: not a JSON-RPC 2\.0 message/);
    expect(s.received).toEqual([]);
  });

  it('answers an oversized line with the id found at its end, tells onOversized, and reads on', async () => {
    const s = await serve();
    const line = JSON.stringify({
      jsonrpc: '2.0',
      method: 'tools/call',
      params: { name: 'big', arguments: { text: 'x'.repeat(5000) } },
      id: 7,
    });
    s.write(line + '\n');
    s.writeMessage({ jsonrpc: '2.0', id: 8, method: 'ping' });
    await until(() => s.out.length === 1 && s.received.length === 1, 'the answer and the ping');
    const bytes = Buffer.byteLength(line);
    expect(s.out[0]).toMatchObject({ jsonrpc: '2.0', id: 7, error: { code: -32600 } });
    expect((s.out[0] as { error: { message: string } }).error.message).toBe(
      `line 1 on stdin is ${bytes} bytes, over the limit of 1024; it was dropped`,
    );
    expect(s.oversized).toEqual([{ bytes, requestId: 7 }]);
    expect(s.errors).toHaveLength(1);
    expect(s.received).toEqual([{ jsonrpc: '2.0', id: 8, method: 'ping' }]);
  });

  it('answers an oversized line written in many pieces once, with its string id', async () => {
    const s = await serve();
    const line = JSON.stringify({
      jsonrpc: '2.0',
      method: 'tools/call',
      params: { t: 'é'.repeat(20_000) },
      id: 'big-1',
    });
    for (let offset = 0; offset < line.length; offset += 333) s.write(line.slice(offset, offset + 333));
    s.write('\n');
    await until(() => s.out.length === 1, 'the answer');
    await settle();
    expect(s.out).toHaveLength(1);
    expect(s.out[0]).toMatchObject({ id: 'big-1', error: { code: -32600 } });
    expect(s.oversized).toEqual([{ bytes: Buffer.byteLength(line), requestId: 'big-1' }]);
  });

  it('answers an oversized line without a readable id with id null', async () => {
    const s = await serve();
    const line = `{"jsonrpc":"2.0","method":"notifications/message","params":{"t":"${'y'.repeat(2000)}"}}`;
    s.write(line + '\n');
    await until(() => s.out.length === 1, 'the answer');
    expect(s.out[0]).toMatchObject({ id: null, error: { code: -32600 } });
    expect(s.oversized).toEqual([{ bytes: line.length, requestId: undefined }]);
  });

  it('numbers the lines it complains about', async () => {
    const s = await serve();
    s.writeMessage({ jsonrpc: '2.0', id: 1, method: 'ping' });
    s.write('oops\n');
    s.writeMessage({ jsonrpc: '1.0', id: 3, method: 'ping' });
    await until(() => s.out.length === 2, 'two answers');
    expect(s.errors[0]).toMatch(/^line 2 on stdin is not JSON/);
    expect(s.errors[1]).toMatch(/^line 3 on stdin:/);
  });

  it('counts blank lines too, so the numbers match what the client wrote', async () => {
    const s = await serve();
    s.write('\n\r\n');
    s.write('oops\n');
    await until(() => s.out.length === 1, 'the parse error');
    expect(s.errors[0]).toMatch(/^line 3 on stdin is not JSON/);
  });

  it('reports a handler that throws, and goes on with the rest of the chunk', async () => {
    const s = await serve();
    s.transport.onmessage = (message) => {
      if ((message as { method?: string }).method === 'boom') throw new Error('handler bug');
      s.received.push(message);
    };
    s.write(
      JSON.stringify({ jsonrpc: '2.0', method: 'boom' }) +
        '\n' +
        JSON.stringify({ jsonrpc: '2.0', method: 'after' }) +
        '\n',
    );
    await until(() => s.received.length === 1, 'the message after the throw');
    expect(s.errors).toEqual(['handler bug']);
    expect(s.received).toEqual([{ jsonrpc: '2.0', method: 'after' }]);
  });

  it('writes each message sent as one JSON line', async () => {
    const s = await serve();
    await s.transport.send({ jsonrpc: '2.0', id: 1, result: { text: 'two\nlines' } });
    await s.transport.sendText('{"jsonrpc":"2.0","method":"notifications/x"}');
    await until(() => s.raw.length === 2, 'two lines');
    expect(s.out).toEqual([
      { jsonrpc: '2.0', id: 1, result: { text: 'two\nlines' } },
      { jsonrpc: '2.0', method: 'notifications/x' },
    ]);
  });

  it('makes later sends wait while stdout is full, and lets them go once it drains', async () => {
    const stdin = new PassThrough();
    const stdout = new PassThrough({ highWaterMark: 16 });
    const transport = new StdioServerTransport({ maxLineBytes: 1024 }, stdin, stdout);
    await transport.start();
    open.push(transport);
    const big = JSON.stringify({ jsonrpc: '2.0', method: 'x', params: { t: 'z'.repeat(100) } });
    await transport.sendText(big); // fills the stream (nobody reads it yet)
    await settle();
    let sent = false;
    const waiting = transport.sendText('{"jsonrpc":"2.0","method":"y"}').then(() => (sent = true));
    await settle();
    expect(sent).toBe(false);
    const text: string[] = [];
    stdout.setEncoding('utf8').on('data', (chunk: string) => text.push(chunk));
    await waiting;
    await settle();
    expect(text.join('')).toBe(`${big}\n{"jsonrpc":"2.0","method":"y"}\n`);
  });

  it('stops reading and calls onclose on close(), and refuses a second start()', async () => {
    const s = await serve();
    await expect(s.transport.start()).rejects.toThrow(/already started/);
    let closed = 0;
    s.transport.onclose = () => (closed += 1);
    await s.transport.close();
    expect(closed).toBe(1);
    s.writeMessage({ jsonrpc: '2.0', id: 1, method: 'ping' });
    await settle();
    expect(s.received).toEqual([]);
    expect(s.stdin.listenerCount('data')).toBe(0);
  });

  it('reports an error on stdin', async () => {
    const s = await serve();
    s.stdin.emit('error', new Error('EPIPE on stdin'));
    expect(s.errors).toEqual(['EPIPE on stdin']);
  });

  it('reports a failing stdout (the client went away) instead of throwing', async () => {
    const s = await serve();
    // Without a listener, an 'error' event on a stream throws: this would crash the gateway.
    expect(() => s.stdout.emit('error', new Error('write EPIPE'))).not.toThrow();
    expect(s.errors).toEqual(['write EPIPE']);
  });
});
