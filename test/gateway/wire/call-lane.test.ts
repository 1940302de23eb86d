// The call lane: forwarded requests with their own ids, matched to responses and progress before the SDK client sees
// them, cancelled downstream on abort or timeout, with one timer for every deadline. Its boundary is `send` (here an
// array of what it sent) and `take` (fed responses as the downstream would write them).
import { describe, expect, it } from 'vitest';
import { McpError, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import {
  CallLane,
  FIRST_LANE_ID,
  LaneTimeoutError,
  type ProgressParams,
} from '../../../src/gateway/wire/call-lane.js';
import { settle, until } from './helpers.js';

/** A lane whose sent messages are collected. */
function lane(): { lane: CallLane; sent: Array<Record<string, unknown>> } {
  const sent: Array<Record<string, unknown>> = [];
  const callLane = new CallLane(async (message: JSONRPCMessage) => {
    sent.push(message as unknown as Record<string, unknown>);
  });
  return { lane: callLane, sent };
}

/** The request id of the n-th message sent. */
const idOf = (sent: Array<Record<string, unknown>>, index: number) => sent[index]!.id as number;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('CallLane', () => {
  it('sends the request as given and resolves with the raw result object', async () => {
    const { lane: l, sent } = lane();
    const call = l.request('tools/call', { name: 'echo', arguments: { text: 'hi' } });
    expect(sent).toEqual([
      {
        jsonrpc: '2.0',
        id: FIRST_LANE_ID,
        method: 'tools/call',
        params: { name: 'echo', arguments: { text: 'hi' } },
      },
    ]);
    const result = {
      content: [{ type: 'text', text: 'hi' }],
      structuredContent: { extra: 1 },
      _meta: { m: 2 },
    };
    expect(l.take({ jsonrpc: '2.0', id: FIRST_LANE_ID, result })).toBe(true);
    await expect(call).resolves.toEqual(result);
    expect(l.size).toBe(0);
  });

  it('sends a request without params without a params member', async () => {
    const { lane: l, sent } = lane();
    void l.request('ping', undefined);
    expect(sent[0]).toEqual({ jsonrpc: '2.0', id: FIRST_LANE_ID, method: 'ping' });
  });

  it('numbers requests from FIRST_LANE_ID up and matches each response to its own request', async () => {
    const { lane: l, sent } = lane();
    const first = l.request('a', {});
    const second = l.request('b', {});
    expect(sent.map((m) => m.id)).toEqual([FIRST_LANE_ID, FIRST_LANE_ID + 1]);
    l.take({ jsonrpc: '2.0', id: FIRST_LANE_ID + 1, result: { which: 'b' } });
    l.take({ jsonrpc: '2.0', id: FIRST_LANE_ID, result: { which: 'a' } });
    await expect(first).resolves.toEqual({ which: 'a' });
    await expect(second).resolves.toEqual({ which: 'b' });
  });

  it('rejects with an McpError carrying the code, message and data of a JSON-RPC error', async () => {
    const { lane: l } = lane();
    const call = l.request('resources/read', { uri: 'fixture://nope' });
    l.take({
      jsonrpc: '2.0',
      id: FIRST_LANE_ID,
      error: { code: -32002, message: 'Resource not found', data: { uri: 'fixture://nope' } },
    });
    const error = await call.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(McpError);
    expect(error).toMatchObject({ code: -32002, data: { uri: 'fixture://nope' } });
    expect((error as Error).message).toContain('Resource not found');
  });

  it('rejects on a JSON-RPC error without a message, saying so', async () => {
    const { lane: l } = lane();
    const call = l.request('x', {});
    l.take({ jsonrpc: '2.0', id: FIRST_LANE_ID, error: { code: -32603 } });
    await expect(call).rejects.toThrow(/error without a message/);
  });

  it('rejects on a malformed response: a result that is not an object, or an error without a numeric code', async () => {
    for (const response of [
      { result: 'text' },
      { result: null },
      { result: [1] },
      {},
      { error: { message: 'no code' } },
      { error: 'bad' },
    ]) {
      const { lane: l } = lane();
      const call = l.request('x', {});
      expect(l.take({ jsonrpc: '2.0', id: FIRST_LANE_ID, ...response }), JSON.stringify(response)).toBe(true);
      await expect(call, JSON.stringify(response)).rejects.toThrow(/neither a result object nor an error/);
    }
  });

  it('leaves every message that is not its own to the SDK client', async () => {
    const { lane: l } = lane();
    void l.request('tools/call', {}, { onprogress: () => undefined });
    // Responses to the SDK client's own requests (small ids), string ids, unknown lane ids.
    expect(l.take({ jsonrpc: '2.0', id: 3, result: {} })).toBe(false);
    expect(l.take({ jsonrpc: '2.0', id: 0, error: { code: -1, message: 'x' } })).toBe(false);
    expect(l.take({ jsonrpc: '2.0', id: String(FIRST_LANE_ID), result: {} })).toBe(false);
    expect(l.take({ jsonrpc: '2.0', id: FIRST_LANE_ID + 5, result: {} })).toBe(false);
    expect(l.take({ jsonrpc: '2.0', id: FIRST_LANE_ID - 1, result: {} })).toBe(false);
    // Requests and notifications from the server, even one carrying a lane-sized id.
    expect(l.take({ jsonrpc: '2.0', id: FIRST_LANE_ID, method: 'sampling/createMessage', params: {} })).toBe(
      false,
    );
    expect(l.take({ jsonrpc: '2.0', method: 'notifications/tools/list_changed' })).toBe(false);
    expect(
      l.take({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: FIRST_LANE_ID } }),
    ).toBe(false);
    // Progress for tokens the lane did not hand out.
    expect(
      l.take({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 3, progress: 1 } }),
    ).toBe(false);
    expect(
      l.take({
        jsonrpc: '2.0',
        method: 'notifications/progress',
        params: { progressToken: 'abc', progress: 1 },
      }),
    ).toBe(false);
    expect(l.size).toBe(1);
  });

  it('does not take a second response for a request already answered', async () => {
    const { lane: l } = lane();
    const call = l.request('x', {});
    expect(l.take({ jsonrpc: '2.0', id: FIRST_LANE_ID, result: { n: 1 } })).toBe(true);
    expect(l.take({ jsonrpc: '2.0', id: FIRST_LANE_ID, result: { n: 2 } })).toBe(false);
    await expect(call).resolves.toEqual({ n: 1 });
  });

  it('on abort sends notifications/cancelled for the request and rejects with the abort reason', async () => {
    const { lane: l, sent } = lane();
    const controller = new AbortController();
    void l.request('a', {});
    const call = l.request('tools/call', { name: 'hang' }, { signal: controller.signal });
    const reason = new Error('user pressed stop');
    controller.abort(reason);
    await expect(call).rejects.toBe(reason);
    expect(sent.at(-1)).toEqual({
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: FIRST_LANE_ID + 1, reason: String(reason) },
    });
    // A late answer to the cancelled request is no longer the lane's.
    expect(l.take({ jsonrpc: '2.0', id: FIRST_LANE_ID + 1, result: {} })).toBe(false);
    expect(l.size).toBe(1);
  });

  it('rejects at once, sending nothing, when the signal is already aborted', async () => {
    const { lane: l, sent } = lane();
    await expect(l.request('x', {}, { signal: AbortSignal.abort('too late') })).rejects.toBe('too late');
    expect(sent).toEqual([]);
    expect(l.size).toBe(0);
  });

  it('sends no cancel when the signal aborts after the answer', async () => {
    const { lane: l, sent } = lane();
    const controller = new AbortController();
    const call = l.request('x', {}, { signal: controller.signal });
    l.take({ jsonrpc: '2.0', id: FIRST_LANE_ID, result: {} });
    await call;
    controller.abort();
    expect(sent).toHaveLength(1);
  });

  it('fails with LaneTimeoutError after timeoutMs without an answer, and cancels downstream', async () => {
    const { lane: l, sent } = lane();
    const started = performance.now();
    const error = await l.request('tools/call', { name: 'hang' }, { timeoutMs: 30 }).catch((e: unknown) => e);
    const took = performance.now() - started;
    expect(error).toBeInstanceOf(LaneTimeoutError);
    expect(error).toMatchObject({ timeoutMs: 30, message: 'no result within 30 ms' });
    expect(took).toBeGreaterThanOrEqual(29);
    expect(took).toBeLessThan(1000);
    expect(sent.at(-1)).toEqual({
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: FIRST_LANE_ID, reason: 'no result within 30 ms' },
    });
    expect(l.size).toBe(0);
  });

  it('times each request out at its own deadline with one timer, earliest first', async () => {
    const { lane: l, sent } = lane();
    const outcomes: string[] = [];
    const track = (name: string, call: Promise<unknown>) =>
      call.then(
        () => outcomes.push(`${name} ok`),
        (e: unknown) => outcomes.push(`${name} ${e instanceof LaneTimeoutError ? 'timeout' : String(e)}`),
      );
    const slow = track('slow', l.request('slow', {}, { timeoutMs: 150 }));
    const fast = track('fast', l.request('fast', {}, { timeoutMs: 30 }));
    const none = track('none', l.request('none', {}));
    await fast;
    expect(outcomes).toEqual(['fast timeout']);
    await slow;
    expect(outcomes).toEqual(['fast timeout', 'slow timeout']);
    const cancelled = sent.filter((m) => m.method === 'notifications/cancelled').map((m) => m.params);
    expect(cancelled).toEqual([
      { requestId: FIRST_LANE_ID + 1, reason: 'no result within 30 ms' },
      { requestId: FIRST_LANE_ID, reason: 'no result within 150 ms' },
    ]);
    // A request without timeoutMs waits as long as it takes.
    expect(l.size).toBe(1);
    l.take({ jsonrpc: '2.0', id: FIRST_LANE_ID + 2, result: {} });
    await none;
    expect(outcomes.at(-1)).toBe('none ok');
  });

  it('does not time out a later request at the deadline of an earlier one that finished', async () => {
    const { lane: l } = lane();
    const first = l.request('first', {}, { timeoutMs: 40 });
    l.take({ jsonrpc: '2.0', id: FIRST_LANE_ID, result: {} });
    await first;
    const started = performance.now();
    const second = l.request('second', {}, { timeoutMs: 120 }).catch((e: unknown) => e);
    await sleep(70); // past the first request's deadline
    expect(l.size).toBe(1);
    expect(await second).toBeInstanceOf(LaneTimeoutError);
    expect(performance.now() - started).toBeGreaterThanOrEqual(119);
  });

  it('asks for progress with its request id as the token, and delivers progress without the token', async () => {
    const { lane: l, sent } = lane();
    const progress: ProgressParams[] = [];
    const call = l.request(
      'tools/call',
      { name: 'slow', _meta: { traceId: 't-1', progressToken: 'caller-token' } },
      { onprogress: (p) => progress.push(p) },
    );
    expect(sent[0]!.params).toEqual({
      name: 'slow',
      _meta: { traceId: 't-1', progressToken: FIRST_LANE_ID },
    });
    const token = idOf(sent, 0);
    expect(
      l.take({
        jsonrpc: '2.0',
        method: 'notifications/progress',
        params: { progressToken: token, progress: 1, total: 3, message: 'step 1' },
      }),
    ).toBe(true);
    expect(progress).toEqual([{ progress: 1, total: 3, message: 'step 1' }]);
    // Progress that is not a number is not the lane's to deliver.
    expect(
      l.take({
        jsonrpc: '2.0',
        method: 'notifications/progress',
        params: { progressToken: token, progress: 'x' },
      }),
    ).toBe(false);
    l.take({ jsonrpc: '2.0', id: token, result: { done: true } });
    await expect(call).resolves.toEqual({ done: true });
    expect(
      l.take({
        jsonrpc: '2.0',
        method: 'notifications/progress',
        params: { progressToken: token, progress: 2 },
      }),
    ).toBe(false);
  });

  it('leaves _meta alone when no progress is asked for', () => {
    const { lane: l, sent } = lane();
    void l.request('tools/call', { name: 'x', _meta: { traceId: 't' } });
    void l.request('tools/call', { name: 'y' });
    expect(sent.map((m) => m.params)).toEqual([{ name: 'x', _meta: { traceId: 't' } }, { name: 'y' }]);
  });

  it('does not take progress for a request that did not ask for it', () => {
    const { lane: l } = lane();
    void l.request('tools/call', { name: 'x' });
    expect(
      l.take({
        jsonrpc: '2.0',
        method: 'notifications/progress',
        params: { progressToken: FIRST_LANE_ID, progress: 1 },
      }),
    ).toBe(false);
  });

  it('keeps a request with timeoutMs 80 alive while progress arrives every 40 ms for 200 ms', async () => {
    const { lane: l, sent } = lane();
    const progress: number[] = [];
    const call = l.request(
      'tools/call',
      { name: 'slow' },
      { timeoutMs: 80, onprogress: (p) => progress.push(p.progress) },
    );
    const token = idOf(sent, 0);
    let step = 0;
    const ticker = setInterval(() => {
      step += 1;
      l.take({
        jsonrpc: '2.0',
        method: 'notifications/progress',
        params: { progressToken: token, progress: step },
      });
    }, 40);
    await sleep(200);
    clearInterval(ticker);
    expect(l.size).toBe(1);
    l.take({ jsonrpc: '2.0', id: token, result: { done: true } });
    await expect(call).resolves.toEqual({ done: true });
    expect(progress.length).toBeGreaterThanOrEqual(4);
    expect(sent.filter((m) => m.method === 'notifications/cancelled')).toEqual([]);
  });

  it('times out once progress stops', async () => {
    const { lane: l, sent } = lane();
    const call = l.request('tools/call', {}, { timeoutMs: 60, onprogress: () => undefined });
    await sleep(40);
    l.take({
      jsonrpc: '2.0',
      method: 'notifications/progress',
      params: { progressToken: idOf(sent, 0), progress: 1 },
    });
    const started = performance.now();
    await expect(call).rejects.toBeInstanceOf(LaneTimeoutError);
    // The deadline moved to 60 ms after the progress, not 60 ms after the request.
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
  });

  it('rejects a request whose send failed, and forgets it', async () => {
    const failing = new CallLane(() =>
      Promise.reject(new Error('not connected: the server process is not running')),
    );
    await expect(failing.request('x', {})).rejects.toThrow(/not connected/);
    expect(failing.size).toBe(0);
  });

  it('on close() rejects every request in flight and every later one with the given error', async () => {
    const { lane: l, sent } = lane();
    const controller = new AbortController();
    const a = l.request('a', {}, { timeoutMs: 50 });
    const b = l.request('b', {}, { signal: controller.signal });
    const gone = new Error('the connection closed');
    l.close(gone);
    await expect(a).rejects.toBe(gone);
    await expect(b).rejects.toBe(gone);
    await expect(l.request('c', {})).rejects.toBe(gone);
    expect(l.size).toBe(0);
    // Neither the abort nor the old deadline sends anything afterwards.
    controller.abort();
    await sleep(80);
    expect(sent.map((m) => m.method)).toEqual(['a', 'b']);
    expect(l.take({ jsonrpc: '2.0', id: FIRST_LANE_ID, result: {} })).toBe(false);
  });

  it('stays usable after timeouts and aborts: later requests still get their answers', async () => {
    const { lane: l, sent } = lane();
    await expect(l.request('a', {}, { timeoutMs: 20 })).rejects.toBeInstanceOf(LaneTimeoutError);
    const call = l.request('b', {});
    const id = sent.find((m) => m.method === 'b')!.id as number;
    l.take({ jsonrpc: '2.0', id, result: { ok: 1 } });
    await expect(call).resolves.toEqual({ ok: 1 });
    await settle();
    await until(() => l.size === 0, 'an empty lane');
  });
});
