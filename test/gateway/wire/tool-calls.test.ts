// The tools/call fast path: params checked as the SDK checks them, errors turned into JSON-RPC errors as the SDK's
// Protocol does, and the intercept on a real stdio transport: answers, errors, progress, cancellation.
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ErrorCode,
  McpError,
  type CallToolResult,
  type JSONRPCMessage,
} from '@modelcontextprotocol/sdk/types.js';
import { StdioServerTransport } from '../../../src/gateway/wire/stdio-server.js';
import {
  checkCallParams,
  interceptToolCalls,
  serializeResult,
  toJsonRpcError,
  type CallParams,
  type ToolCallContext,
  type ToolCallHandler,
} from '../../../src/gateway/wire/tool-calls.js';
import { captureLines, settle, until } from './helpers.js';

describe('serializeResult', () => {
  it('serializes a result once and hands the same text out again, leaving no trace in the JSON or the keys', () => {
    const result = { content: [{ type: 'text', text: 'héllo' }], isError: false };
    const first = serializeResult(result);
    expect(first).toBe(JSON.stringify({ content: [{ type: 'text', text: 'héllo' }], isError: false }));
    // A change after the first call is not seen: the text is what the agent was sent.
    result.isError = true;
    expect(serializeResult(result)).toBe(first);
    expect(Object.keys(result)).toEqual(['content', 'isError']);
    expect(JSON.stringify(result)).toBe(
      JSON.stringify({ content: [{ type: 'text', text: 'héllo' }], isError: true }),
    );
  });

  it('serializes a frozen result too', () => {
    const result = Object.freeze({ content: [{ type: 'text', text: 'frozen' }] });
    expect(serializeResult(result)).toBe('{"content":[{"type":"text","text":"frozen"}]}');
    expect(serializeResult(result)).toBe('{"content":[{"type":"text","text":"frozen"}]}');
  });
});

describe('checkCallParams', () => {
  it('accepts the shapes the SDK accepts, and hands the params back as they came', () => {
    for (const params of [
      { name: 'fs__read' },
      { name: '', arguments: {} },
      { name: 'x', arguments: { a: [1], b: null }, _meta: { progressToken: 'tok', traceId: 't' } },
      { name: 'x', _meta: { progressToken: 7 } },
      { name: 'x', _meta: {}, task: { ttl: 1000 } },
    ]) {
      expect(checkCallParams(params), JSON.stringify(params)).toBe(params);
    }
  });

  it('says what is wrong with each bad shape', () => {
    const cases: Array<[unknown, string]> = [
      [undefined, 'params: expected an object'],
      [null, 'params: expected an object'],
      ['fs__read', 'params: expected an object'],
      [[{ name: 'x' }], 'params: expected an object'],
      [{}, 'params.name: expected a string'],
      [{ name: 7 }, 'params.name: expected a string'],
      [{ name: null }, 'params.name: expected a string'],
      [{ name: 'x', arguments: 'a=1' }, 'params.arguments: expected an object'],
      [{ name: 'x', arguments: [1, 2] }, 'params.arguments: expected an object'],
      [{ name: 'x', arguments: null }, 'params.arguments: expected an object'],
      [{ name: 'x', _meta: 'm' }, 'params._meta: expected an object'],
      [{ name: 'x', _meta: [] }, 'params._meta: expected an object'],
      [{ name: 'x', _meta: null }, 'params._meta: expected an object'],
      [
        { name: 'x', _meta: { progressToken: true } },
        'params._meta.progressToken: expected a string or a whole number',
      ],
      [
        { name: 'x', _meta: { progressToken: 1.5 } },
        'params._meta.progressToken: expected a string or a whole number',
      ],
      [
        { name: 'x', _meta: { progressToken: null } },
        'params._meta.progressToken: expected a string or a whole number',
      ],
      [
        { name: 'x', _meta: { progressToken: { a: 1 } } },
        'params._meta.progressToken: expected a string or a whole number',
      ],
    ];
    for (const [params, message] of cases)
      expect(checkCallParams(params), JSON.stringify(params)).toBe(message);
  });
});

describe('toJsonRpcError', () => {
  it('keeps the code, the message as it came on the wire, and the data of an McpError', () => {
    // McpError's own "MCP error <code>: " is left out: the receiving client adds it again.
    expect(toJsonRpcError(new McpError(-32002, 'Resource not found', { uri: 'x://y' }))).toEqual({
      code: -32002,
      message: 'Resource not found',
      data: { uri: 'x://y' },
    });
    // A downstream server that already sent the prefix keeps its one.
    expect(toJsonRpcError(new McpError(-32602, 'MCP error -32602: bad "a"')).message).toBe(
      'MCP error -32602: bad "a"',
    );
  });

  it('makes a plain Error an internal error with its message, and leaves out data it does not have', () => {
    const error = toJsonRpcError(new Error('kaboom'));
    expect(error).toEqual({ code: ErrorCode.InternalError, message: 'kaboom' });
    expect('data' in error).toBe(false);
  });

  it('uses only integer codes: a Node error code string or a fraction becomes -32603', () => {
    const enoent = Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' });
    expect(toJsonRpcError(enoent)).toEqual({ code: -32603, message: 'ENOENT: no such file' });
    expect(toJsonRpcError({ code: 1.5, message: 'half' })).toEqual({ code: -32603, message: 'half' });
    expect(toJsonRpcError({ code: 42, message: 'answer', data: 0 })).toEqual({
      code: 42,
      message: 'answer',
      data: 0,
    });
  });

  it('turns anything thrown that is not an object into "Internal error"', () => {
    for (const thrown of ['text', 42, undefined, null, [1]]) {
      expect(toJsonRpcError(thrown), String(thrown)).toEqual({ code: -32603, message: 'Internal error' });
    }
  });
});

describe('interceptToolCalls on the stdio transport', () => {
  const open: StdioServerTransport[] = [];
  afterEach(async () => {
    for (const transport of open.splice(0)) await transport.close();
  });

  /** A stdio transport on PassThrough streams with the fast path installed in front of `handler`. */
  async function fastPath(handler: ToolCallHandler) {
    const stdin = new PassThrough();
    const stdout = captureLines();
    const transport = new StdioServerTransport({ maxLineBytes: 64 * 1024 }, stdin, stdout.stream);
    const reported: unknown[] = [];
    transport.intercept = interceptToolCalls(transport, handler, (error) => reported.push(error));
    const received: JSONRPCMessage[] = [];
    const errors: string[] = [];
    transport.onmessage = (message) => received.push(message);
    transport.onerror = (error) => errors.push(error.message);
    await transport.start();
    open.push(transport);
    const send = (message: object) => stdin.write(JSON.stringify(message) + '\n');
    const call = (id: string | number, params: unknown) =>
      send({ jsonrpc: '2.0', id, method: 'tools/call', params });
    const answerTo = (id: string | number) =>
      stdout.lines.find((line) => line.id === id && !('method' in line));
    return { out: stdout.lines, received, errors, reported, send, call, answerTo };
  }

  it('answers a call with the result of the handler, without the SDK seeing it', async () => {
    const calls: CallParams[] = [];
    const w = await fastPath(async (params) => {
      calls.push(params);
      return { content: [{ type: 'text', text: `echo: ${String(params.arguments?.text)}` }] };
    });
    w.call(5, { name: 'fx__echo', arguments: { text: 'hi' }, _meta: { progressToken: 'p' } });
    w.call('call-6', { name: 'fx__echo', arguments: { text: 'there' } });
    await until(() => w.out.length === 2, 'two answers');
    expect(w.answerTo(5)).toEqual({
      jsonrpc: '2.0',
      id: 5,
      result: { content: [{ type: 'text', text: 'echo: hi' }] },
    });
    expect(w.answerTo('call-6')).toEqual({
      jsonrpc: '2.0',
      id: 'call-6',
      result: { content: [{ type: 'text', text: 'echo: there' }] },
    });
    expect(calls).toEqual([
      { name: 'fx__echo', arguments: { text: 'hi' }, _meta: { progressToken: 'p' } },
      { name: 'fx__echo', arguments: { text: 'there' } },
    ]);
    expect(w.received).toEqual([]);
    expect(w.errors).toEqual([]);
  });

  it('writes the result exactly, whatever it holds', async () => {
    const result = {
      content: [{ type: 'text', text: 'line 1\nline 2 "quoted" é 😀 \u2028' }],
      structuredContent: { n: 1.5, nested: { list: [null, true] } },
      isError: false,
    } as CallToolResult;
    const w = await fastPath(async () => result);
    w.call(1, { name: 'x' });
    await until(() => w.out.length === 1, 'the answer');
    expect(w.out[0]).toEqual({ jsonrpc: '2.0', id: 1, result });
  });

  it('answers a handler error with the JSON-RPC error the SDK would send', async () => {
    const w = await fastPath(async (params) => {
      if (params.name === 'mcp') throw new McpError(-32002, 'Resource not found', { uri: 'x://y' });
      throw new Error('kaboom');
    });
    w.call(1, { name: 'mcp' });
    w.call(2, { name: 'plain' });
    await until(() => w.out.length === 2, 'two answers');
    expect(w.answerTo(1)).toEqual({
      jsonrpc: '2.0',
      id: 1,
      error: { code: -32002, message: 'Resource not found', data: { uri: 'x://y' } },
    });
    expect(w.answerTo(2)).toEqual({ jsonrpc: '2.0', id: 2, error: { code: -32603, message: 'kaboom' } });
  });

  it('answers invalid params with -32602 naming the problem, without calling the handler', async () => {
    let called = 0;
    const w = await fastPath(async () => {
      called += 1;
      return { content: [] };
    });
    w.call(1, { arguments: {} });
    w.call(2, { name: 'x', arguments: [1] });
    w.call(3, undefined);
    await until(() => w.out.length === 3, 'three answers');
    expect(w.answerTo(1)).toEqual({
      jsonrpc: '2.0',
      id: 1,
      error: { code: -32602, message: 'Invalid tools/call request: params.name: expected a string' },
    });
    expect(w.answerTo(2)).toMatchObject({ error: { code: -32602, message: /params\.arguments/ } });
    expect(w.answerTo(3)).toMatchObject({ error: { code: -32602, message: /params: expected an object/ } });
    expect(called).toBe(0);
  });

  it('aborts the handler of a cancelled call and sends no answer for it', async () => {
    const contexts = new Map<string | number, ToolCallContext>();
    const w = await fastPath(
      (params, context) =>
        new Promise((resolve, reject) => {
          contexts.set(params.name, context);
          if (params.name === 'quick') resolve({ content: [{ type: 'text', text: 'quick' }] });
          context.cancel.onCancel(() => reject(new Error('aborted by the client')));
        }),
    );
    w.call(10, { name: 'hang' });
    await until(() => contexts.has('hang'), 'the handler to start');
    w.send({
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: 10, reason: 'user pressed stop' },
    });
    await until(() => contexts.get('hang')!.cancel.aborted, 'the abort');
    expect(contexts.get('hang')!.cancel.reason).toBe('user pressed stop');
    // Handlers that need a real AbortSignal (the approval wait) get one that is already aborted.
    expect(contexts.get('hang')!.cancel.signal.aborted).toBe(true);
    // A later call is answered; the cancelled one never is (lines are handled in order).
    w.call(11, { name: 'quick' });
    await until(() => w.answerTo(11), 'the answer to the later call');
    await settle();
    expect(w.answerTo(10)).toBeUndefined();
    expect(w.out).toHaveLength(1);
    // The cancel was the fast path's: the SDK did not see it.
    expect(w.received).toEqual([]);
  });

  it('sends no answer for a cancelled call even when its handler finishes with a result', async () => {
    let finish: (() => void) | undefined;
    let started = false;
    const w = await fastPath(
      () =>
        new Promise((resolve) => {
          started = true;
          finish = () => resolve({ content: [{ type: 'text', text: 'too late' }] });
        }),
    );
    w.call('c1', { name: 'x' });
    await until(() => started, 'the handler to start');
    w.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'c1' } });
    await settle();
    finish!();
    await settle();
    expect(w.out).toEqual([]);
  });

  it('leaves a cancel for a call it does not have in flight to the SDK', async () => {
    const w = await fastPath(async () => ({ content: [] }));
    w.call(1, { name: 'x' });
    await until(() => w.answerTo(1), 'the answer');
    // Call 1 has finished, and 99 never existed: both cancels go on to the SDK's Protocol.
    w.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1 } });
    w.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 99 } });
    await until(() => w.received.length === 2, 'two cancels at the SDK');
    expect(w.received.map((m) => ('params' in m ? m.params?.requestId : undefined))).toEqual([1, 99]);
  });

  it('sends the notifications a handler makes (progress) before its answer, and none once cancelled', async () => {
    let release: (() => void) | undefined;
    const w = await fastPath(async (params, { notify, cancel }) => {
      const token = params._meta?.progressToken;
      await notify({
        method: 'notifications/progress',
        params: { progressToken: token!, progress: 1, total: 2 },
      });
      if (params.name === 'wait') {
        await new Promise<void>((resolve) => (release = resolve));
        expect(cancel.aborted).toBe(true);
        await notify({ method: 'notifications/progress', params: { progressToken: token!, progress: 2 } });
      }
      return { content: [] };
    });
    w.call(1, { name: 'go', _meta: { progressToken: 'tok-1' } });
    await until(() => w.answerTo(1), 'the answer');
    expect(w.out).toEqual([
      {
        jsonrpc: '2.0',
        method: 'notifications/progress',
        params: { progressToken: 'tok-1', progress: 1, total: 2 },
      },
      { jsonrpc: '2.0', id: 1, result: { content: [] } },
    ]);
    w.call(2, { name: 'wait', _meta: { progressToken: 'tok-2' } });
    await until(() => release, 'the second handler to wait');
    w.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 2 } });
    await settle();
    release!();
    await settle();
    expect(
      w.out.filter(
        (line) => (line.params as { progressToken?: string } | undefined)?.progressToken === 'tok-2',
      ),
    ).toEqual([
      {
        jsonrpc: '2.0',
        method: 'notifications/progress',
        params: { progressToken: 'tok-2', progress: 1, total: 2 },
      },
    ]);
    expect(w.answerTo(2)).toBeUndefined();
  });

  it('hands every other message to the SDK, including a tools/call without an id or without jsonrpc 2.0', async () => {
    let called = 0;
    const w = await fastPath(async () => {
      called += 1;
      return { content: [] };
    });
    w.send({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
    w.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    w.send({ jsonrpc: '2.0', id: 2, result: {} });
    w.send({ id: 3, method: 'tools/call', params: { name: 'x' } });
    w.send({ jsonrpc: '2.0', method: 'tools/call', params: { name: 'x' } });
    await until(() => w.received.length === 4 && w.errors.length === 1, 'four messages and one error');
    // Without an id a tools/call is a notification: the SDK ignores it, as it would without Warden.
    expect(w.received.map((m) => ('method' in m ? m.method : 'response'))).toEqual([
      'tools/list',
      'notifications/initialized',
      'response',
      'tools/call',
    ]);
    // The one with an id is answered by the transport as an invalid request.
    expect(await until(() => w.answerTo(3), 'the answer to 3')).toMatchObject({ error: { code: -32600 } });
    expect(called).toBe(0);
  });

  it('reports an answer it could not write', async () => {
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    const transport = new StdioServerTransport({ maxLineBytes: 1024 }, stdin, stdout);
    const reported: unknown[] = [];
    transport.intercept = interceptToolCalls(
      transport,
      // A result JSON.stringify cannot write.
      async () => ({ content: [], structuredContent: { n: BigInt(1) } }) as unknown as CallToolResult,
      (error) => reported.push(error),
    );
    await transport.start();
    open.push(transport);
    stdin.write('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"}}\n');
    await until(() => reported.length === 1, 'the report');
    expect(String(reported[0])).toMatch(/BigInt/);
  });
});
