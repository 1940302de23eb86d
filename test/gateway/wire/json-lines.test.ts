// Line framing of the stdio transports: lines cut from raw bytes however the chunks fall, bounded memory for lines
// over the limit, and the request id read back from the end of a dropped line.
import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  JsonLineReader,
  LineWriter,
  checkMessage,
  trailingRequestId,
  type LineSink,
} from '../../../src/gateway/wire/json-lines.js';

type Seen =
  | { kind: 'message'; value: unknown }
  | { kind: 'notJson'; line: string; error: string }
  | { kind: 'oversized'; bytes: number; tail: string };

/** A reader whose sink records everything it is told, in order. */
function reader(maxLineBytes = 1024): { reader: JsonLineReader; seen: Seen[] } {
  const seen: Seen[] = [];
  const sink: LineSink = {
    message: (value) => seen.push({ kind: 'message', value }),
    notJson: (line, error) => seen.push({ kind: 'notJson', line, error: error.message }),
    oversized: (bytes, tail) => seen.push({ kind: 'oversized', bytes, tail }),
  };
  return { reader: new JsonLineReader(maxLineBytes, sink), seen };
}

/** Pushes `bytes` in chunks of `size` bytes. */
function pushInChunks(target: JsonLineReader, bytes: Buffer, size: number): void {
  for (let offset = 0; offset < bytes.length; offset += size)
    target.push(bytes.subarray(offset, offset + size));
}

const MESSAGE = {
  jsonrpc: '2.0',
  id: 7,
  method: 'tools/call',
  params: { name: 'fs__write', arguments: { text: 'héllo wörld € 😀 — 漢字' } },
};

describe('JsonLineReader', () => {
  it('parses a line split across two chunks at every byte position, including inside multi-byte characters', () => {
    const bytes = Buffer.from(JSON.stringify(MESSAGE) + '\n', 'utf8');
    // The text holds 2-, 3- and 4-byte characters, so some cuts fall inside one.
    expect(bytes.length).toBeGreaterThan(JSON.stringify(MESSAGE).length + 1);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const { reader: r, seen } = reader();
      r.push(bytes.subarray(0, cut));
      r.push(bytes.subarray(cut));
      expect(seen, `cut at byte ${cut}`).toEqual([{ kind: 'message', value: MESSAGE }]);
    }
  });

  it('parses a line fed one byte at a time', () => {
    const { reader: r, seen } = reader();
    pushInChunks(r, Buffer.from(JSON.stringify(MESSAGE) + '\n'), 1);
    expect(seen).toEqual([{ kind: 'message', value: MESSAGE }]);
  });

  it('does not parse a line before its newline arrives', () => {
    const { reader: r, seen } = reader();
    r.push(Buffer.from('{"jsonrpc":"2.0","method":"a"}'));
    expect(seen).toEqual([]);
    r.push(Buffer.from('\n'));
    expect(seen).toHaveLength(1);
  });

  it('keeps its own copy of a partial line, so the stream may reuse the chunk memory', () => {
    const { reader: r, seen } = reader();
    const chunk = Buffer.from('{"jsonrpc":"2.0","method":"first"');
    r.push(chunk);
    chunk.fill(0x20); // the stream reuses its buffer for other bytes
    r.push(Buffer.from('}\n'));
    expect(seen).toEqual([{ kind: 'message', value: { jsonrpc: '2.0', method: 'first' } }]);
  });

  it('parses several lines from one chunk, in order, and keeps the unfinished last one for later', () => {
    const { reader: r, seen } = reader();
    r.push(Buffer.from('{"n":1}\n{"n":2}\n{"n":3}\n{"n":'));
    expect(seen.map((s) => (s.kind === 'message' ? s.value : s))).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    r.push(Buffer.from('4}\n'));
    expect(seen.at(-1)).toEqual({ kind: 'message', value: { n: 4 } });
  });

  it('accepts CRLF line ends, also when the CR and the LF arrive in different chunks', () => {
    const { reader: r, seen } = reader();
    r.push(Buffer.from('{"n":1}\r\n{"n":2}\r'));
    r.push(Buffer.from('\n'));
    expect(seen).toEqual([
      { kind: 'message', value: { n: 1 } },
      { kind: 'message', value: { n: 2 } },
    ]);
  });

  it('skips blank lines, whitespace-only lines and bare CRLFs without reporting them', () => {
    const { reader: r, seen } = reader();
    r.push(Buffer.from('\n\n   \n\t\r\n\r\n{"n":1}\n\n'));
    expect(seen).toEqual([{ kind: 'message', value: { n: 1 } }]);
  });

  it('reports a line that is not JSON, with its text, and still parses the next line', () => {
    const { reader: r, seen } = reader();
    r.push(Buffer.from('server starting on port 8080\r\n{"n":2}\n'));
    expect(seen).toHaveLength(2);
    expect(seen[0]).toMatchObject({ kind: 'notJson', line: 'server starting on port 8080' });
    expect((seen[0] as { error: string }).error).toMatch(/JSON/);
    expect(seen[1]).toEqual({ kind: 'message', value: { n: 2 } });
  });

  it('hands on any JSON value, leaving the JSON-RPC check to the transport', () => {
    const { reader: r, seen } = reader();
    r.push(Buffer.from('42\n[1,2]\nnull\n"text"\n'));
    expect(seen.map((s) => (s.kind === 'message' ? s.value : s))).toEqual([42, [1, 2], null, 'text']);
  });

  it('accepts a line of exactly the limit and drops one byte more, whether it arrives whole or in pieces', () => {
    const exact = `{"t":"${'a'.repeat(100 - 8)}"}`;
    expect(Buffer.byteLength(exact)).toBe(100);
    const over = `{"t":"${'a'.repeat(101 - 8)}"}`;
    for (const size of [1000, 1, 37, 100]) {
      const { reader: r, seen } = reader(100);
      pushInChunks(r, Buffer.from(`${exact}\n${over}\n`), size);
      expect(
        seen.map((s) => s.kind),
        `chunks of ${size}`,
      ).toEqual(['message', 'oversized']);
      expect(seen[1]).toMatchObject({ bytes: 101 });
    }
  });

  it('reports an oversized line in one chunk with its byte count and its tail, then parses the next line', () => {
    const { reader: r, seen } = reader(100);
    const big = JSON.stringify({
      jsonrpc: '2.0',
      method: 'tools/call',
      params: { t: 'x'.repeat(5000) },
      id: 42,
    });
    r.push(Buffer.from(`${big}\n{"n":2}\n`));
    expect(seen).toHaveLength(2);
    const dropped = seen[0] as Extract<Seen, { kind: 'oversized' }>;
    expect(dropped.kind).toBe('oversized');
    expect(dropped.bytes).toBe(Buffer.byteLength(big));
    expect(dropped.tail).toBe(big.slice(-512));
    expect(dropped.tail.endsWith('"id":42}')).toBe(true);
    expect(seen[1]).toEqual({ kind: 'message', value: { n: 2 } });
  });

  it('reports an oversized line shorter than the tail size with the whole line as its tail', () => {
    const { reader: r, seen } = reader(100);
    const line = JSON.stringify({ t: 'y'.repeat(300), id: 'abc' });
    for (const size of [1, 60, 99, 100, 101, 150, 1000]) {
      seen.length = 0;
      pushInChunks(r, Buffer.from(`${line}\n`), size);
      expect(seen, `chunks of ${size}`).toEqual([{ kind: 'oversized', bytes: line.length, tail: line }]);
    }
  });

  it('reports an oversized line spread over many chunks exactly once, with the right count and tail, however it is cut', () => {
    const line = JSON.stringify({ jsonrpc: '2.0', id: 99, params: { t: 'z'.repeat(3000) + 'END' } });
    const stream = Buffer.from(`{"n":1}\n${line}\n{"n":2}\n`);
    for (const size of [1, 7, 100, 101, 511, 512, 513, 1999, 4096]) {
      const { reader: r, seen } = reader(100);
      pushInChunks(r, stream, size);
      expect(seen, `chunks of ${size}`).toEqual([
        { kind: 'message', value: { n: 1 } },
        { kind: 'oversized', bytes: line.length, tail: line.slice(-512) },
        { kind: 'message', value: { n: 2 } },
      ]);
    }
  });

  it('reports an oversized line whose newline arrives alone in a later chunk', () => {
    const { reader: r, seen } = reader(10);
    r.push(Buffer.from('a'.repeat(50)));
    r.push(Buffer.from('b'.repeat(50)));
    expect(seen).toEqual([]);
    r.push(Buffer.from('\n'));
    r.push(Buffer.from('{"n":1}\n'));
    expect(seen).toEqual([
      { kind: 'oversized', bytes: 100, tail: 'a'.repeat(50) + 'b'.repeat(50) },
      { kind: 'message', value: { n: 1 } },
    ]);
  });

  it('drops two oversized lines in a row and reports each with its own size', () => {
    const { reader: r, seen } = reader(10);
    pushInChunks(r, Buffer.from(`${'a'.repeat(30)}\n${'b'.repeat(40)}\n{"n":1}\n`), 8);
    expect(seen).toEqual([
      { kind: 'oversized', bytes: 30, tail: 'a'.repeat(30) },
      { kind: 'oversized', bytes: 40, tail: 'b'.repeat(40) },
      { kind: 'message', value: { n: 1 } },
    ]);
  });

  it('does not buffer an oversized line whole: memory stays flat while 64 MB of one line stream through', () => {
    const { reader: r, seen } = reader(1024);
    // One chunk buffer, refilled for every push as a stream would: the reader must copy what it keeps.
    const chunk = Buffer.alloc(64 * 1024);
    globalThis.gc?.();
    const before = process.memoryUsage().arrayBuffers;
    let peak = before;
    for (let index = 0; index < 1024; index++) {
      chunk.fill(0x61 + (index % 26));
      r.push(chunk);
      if (index % 64 === 0) peak = Math.max(peak, process.memoryUsage().arrayBuffers);
    }
    peak = Math.max(peak, process.memoryUsage().arrayBuffers);
    r.push(Buffer.from(',"id":5}\n{"n":1}\n'));
    // Buffering the line would hold 64 MB; the reader keeps 512 bytes of tail (plus some garbage not yet collected).
    expect(peak - before).toBeLessThan(8 * 1024 * 1024);
    // The last chunk was filled with the letter for index 1023 (1023 % 26 = 9 → "j").
    expect(seen).toEqual([
      { kind: 'oversized', bytes: 64 * 1024 * 1024 + 8, tail: 'j'.repeat(504) + ',"id":5}' },
      { kind: 'message', value: { n: 1 } },
    ]);
  });

  it('forgets a partial line on clear()', () => {
    const { reader: r, seen } = reader(10);
    r.push(Buffer.from('{"half":'));
    r.clear();
    r.push(Buffer.from('{"n":1}\n'));
    r.push(Buffer.from('a'.repeat(50)));
    r.clear();
    r.push(Buffer.from('{"n":2}\n'));
    expect(seen).toEqual([
      { kind: 'message', value: { n: 1 } },
      { kind: 'message', value: { n: 2 } },
    ]);
  });
});

describe('trailingRequestId', () => {
  /** A request serialized as the SDK's Protocol does: the id added last. */
  const request = (id: string | number) =>
    JSON.stringify({
      method: 'tools/call',
      params: { name: 'x', arguments: { t: 'x'.repeat(2000) } },
      jsonrpc: '2.0',
      id,
    });

  it('reads a numeric id from the end of a request line', () => {
    expect(trailingRequestId(request(17))).toBe(17);
    expect(trailingRequestId(request(0))).toBe(0);
    expect(trailingRequestId(request(-3))).toBe(-3);
    expect(trailingRequestId(request(1_000_000_000_123))).toBe(1_000_000_000_123);
  });

  it('reads a string id, with escapes, from the end of a request line', () => {
    expect(trailingRequestId(request('req-1'))).toBe('req-1');
    expect(trailingRequestId(request('say "hi" \\ ok'))).toBe('say "hi" \\ ok');
    expect(trailingRequestId(request(''))).toBe('');
  });

  it('reads the id from a tail cut out of the middle of the line, and allows whitespace and a CR after it', () => {
    expect(trailingRequestId(request(8).slice(-30))).toBe(8);
    expect(trailingRequestId('…xxx", "id" : "a" } \r')).toBe('a');
  });

  it('finds no id in a notification, a line cut before its end, or an id nested in the params', () => {
    expect(
      trailingRequestId(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/progress', params: {} })),
    ).toBe(undefined);
    expect(trailingRequestId(request(5).slice(0, -1))).toBe(undefined);
    expect(
      trailingRequestId(JSON.stringify({ jsonrpc: '2.0', method: 'x', params: { arguments: { id: 5 } } })),
    ).toBe(undefined);
    expect(trailingRequestId('{"jsonrpc":"2.0","id":3,"method":"ping"}')).toBe(undefined);
    expect(trailingRequestId('')).toBe(undefined);
  });

  it('finds no id where it is not an integer or a string', () => {
    expect(trailingRequestId('{"jsonrpc":"2.0","id":1.5}')).toBe(undefined);
    expect(trailingRequestId('{"jsonrpc":"2.0","id":null}')).toBe(undefined);
    expect(trailingRequestId('{"jsonrpc":"2.0","id":{"a":1}}')).toBe(undefined);
    expect(trailingRequestId('{"jsonrpc":"2.0","id":true}')).toBe(undefined);
  });
});

describe('checkMessage', () => {
  it('accepts requests, notifications and responses as the SDK parses them', () => {
    for (const value of [
      { jsonrpc: '2.0', id: 1, method: 'ping' },
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      { jsonrpc: '2.0', id: 'a', result: {} },
      { jsonrpc: '2.0', id: 2, error: { code: -32601, message: 'Method not found' } },
    ]) {
      const checked = checkMessage(value);
      expect(checked, JSON.stringify(value)).toMatchObject({ ok: true, message: value });
    }
  });

  it('says what is wrong with anything else', () => {
    for (const value of [
      { jsonrpc: '1.0', id: 1, method: 'ping' },
      { id: 1, method: 'ping' },
      { jsonrpc: '2.0', id: 1, method: 7 },
      { jsonrpc: '2.0', id: 1 },
      [1],
      'ping',
      null,
    ]) {
      const checked = checkMessage(value);
      expect(checked.ok, JSON.stringify(value)).toBe(false);
      if (!checked.ok) expect(checked.error).toMatch(/^not a JSON-RPC 2\.0 message/);
    }
  });
});

/** A stream that records each write it receives (one entry per write call that reached it). */
function recordingStream(): { stream: Writable; writes: string[] } {
  const writes: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      writes.push(chunk.toString('utf8'));
      callback();
    },
  });
  return { stream, writes };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('LineWriter', () => {
  it('writes the messages of one turn of the event loop with one write, in order, one per line', async () => {
    const { stream, writes } = recordingStream();
    const writer = new LineWriter(stream);
    await Promise.all([writer.write('{"n":1}'), writer.write('{"n":2}'), writer.write('{"n":3}')]);
    await nextTurn();
    expect(writes).toEqual(['{"n":1}\n{"n":2}\n{"n":3}\n']);
  });

  it('gathers messages written from promise callbacks of the same turn into that write', async () => {
    const { stream, writes } = recordingStream();
    const writer = new LineWriter(stream);
    void writer.write('{"n":1}');
    void Promise.resolve().then(() => writer.write('{"n":2}'));
    await nextTurn();
    expect(writes).toEqual(['{"n":1}\n{"n":2}\n']);
  });

  it('writes messages of different turns separately', async () => {
    const { stream, writes } = recordingStream();
    const writer = new LineWriter(stream);
    await writer.write('{"n":1}');
    await nextTurn();
    await writer.write('{"n":2}');
    await nextTurn();
    expect(writes).toEqual(['{"n":1}\n', '{"n":2}\n']);
  });

  it('makes writes wait while the stream is full, and releases them all on drain', async () => {
    const stream = new PassThrough({ highWaterMark: 8 });
    const writer = new LineWriter(stream);
    await writer.write('{"fills":"the stream"}');
    await nextTurn();
    const settled: number[] = [];
    const second = writer.write('{"n":2}').then(() => settled.push(2));
    const third = writer.write('{"n":3}').then(() => settled.push(3));
    await nextTurn();
    expect(settled).toEqual([]);
    let text = '';
    stream.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    await Promise.all([second, third]);
    expect(settled).toEqual([2, 3]);
    await nextTurn();
    expect(text).toBe('{"fills":"the stream"}\n{"n":2}\n{"n":3}\n');
  });

  it('drops what is written after the stream ended, instead of raising write-after-end', async () => {
    const { stream, writes } = recordingStream();
    const errors: Error[] = [];
    stream.on('error', (error) => errors.push(error));
    const writer = new LineWriter(stream);
    stream.end();
    await writer.write('{"n":1}');
    await nextTurn();
    expect(writes).toEqual([]);
    expect(errors).toEqual([]);
  });
});
