// Newline-delimited JSON-RPC framing for the stdio transports (MCP's stdio transport: one message per line, UTF-8).
// Lines are cut from the raw bytes and parsed with JSON.parse only: which messages are then checked, and how, is up
// to the transport (see stdio-server.ts and stdio-child.ts).
import process from 'node:process';
import type { Writable } from 'node:stream';
import { JSONRPCMessageSchema, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

const NEWLINE = 0x0a;
/** Bytes kept from the end of an over-long line, to find the request id it ended with. */
const TAIL_BYTES = 512;
const EMPTY = Buffer.alloc(0);

/** What the reader hands on: a parsed line, a line that is not JSON, or a line over the size limit. */
export interface LineSink {
  message(value: unknown): void;
  notJson(line: string, error: Error): void;
  /** A line longer than the limit was dropped; `tail` is its last bytes (where a request's id usually is). */
  oversized(bytes: number, tail: string): void;
}

/**
 * Cuts a byte stream into lines and parses each as JSON. Lines over `maxLineBytes` are dropped without being
 * buffered whole (memory stays bounded), and reported. Empty lines are skipped; a trailing "\r" is allowed.
 */
export class JsonLineReader {
  private parts: Buffer[] = [];
  private partBytes = 0;
  /** Over the limit: the bytes of the current line are being skipped until its newline. */
  private skipping = false;
  private skippedBytes = 0;
  private tail: Buffer = EMPTY;
  private lines = 0;
  private readonly maxLineBytes: number;
  private readonly sink: LineSink;

  constructor(maxLineBytes: number, sink: LineSink) {
    this.maxLineBytes = maxLineBytes;
    this.sink = sink;
  }

  /** Lines seen so far, blank and dropped ones included: the number of the line being handed on. */
  get lineNumber(): number {
    return this.lines;
  }

  push(chunk: Buffer): void {
    let start = 0;
    let end = chunk.indexOf(NEWLINE);
    while (end !== -1) {
      this.lines += 1;
      if (this.skipping) {
        this.endSkipped(chunk.subarray(start, end));
      } else if (this.partBytes === 0) {
        if (end - start > this.maxLineBytes) {
          this.sink.oversized(end - start, lastBytes(EMPTY, chunk.subarray(start, end)).toString('utf8'));
        } else this.line(chunk.toString('utf8', start, end));
      } else {
        this.parts.push(chunk.subarray(start, end));
        const bytes = this.partBytes + end - start;
        const whole = Buffer.concat(this.parts, bytes);
        this.parts = [];
        this.partBytes = 0;
        if (bytes > this.maxLineBytes) this.sink.oversized(bytes, lastBytes(EMPTY, whole).toString('utf8'));
        else this.line(whole.toString('utf8'));
      }
      start = end + 1;
      end = chunk.indexOf(NEWLINE, start);
    }
    if (start < chunk.length) this.keep(chunk.subarray(start));
  }

  /** Forgets a partial line (the stream ended or was reset). */
  clear(): void {
    this.parts = [];
    this.partBytes = 0;
    this.skipping = false;
    this.skippedBytes = 0;
  }

  private keep(piece: Buffer): void {
    if (this.skipping) {
      this.skippedBytes += piece.length;
      this.tail = Buffer.from(lastBytes(this.tail, piece));
      return;
    }
    if (this.partBytes + piece.length > this.maxLineBytes) {
      // Start skipping: what was buffered is dropped now, the rest as it comes.
      this.skipping = true;
      this.skippedBytes = this.partBytes + piece.length;
      this.tail = Buffer.from(lastBytes(Buffer.concat(this.parts), piece));
      this.parts = [];
      this.partBytes = 0;
      return;
    }
    // A copy: the chunk's memory may be reused by the stream.
    this.parts.push(Buffer.from(piece));
    this.partBytes += piece.length;
  }

  private endSkipped(last: Buffer): void {
    const bytes = this.skippedBytes + last.length;
    const tail = lastBytes(this.tail, last);
    this.skipping = false;
    this.skippedBytes = 0;
    this.tail = EMPTY;
    this.sink.oversized(bytes, tail.toString('utf8'));
  }

  private line(text: string): void {
    const line = text.endsWith('\r') ? text.slice(0, -1) : text;
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      this.sink.notJson(line, error as Error);
      return;
    }
    this.sink.message(value);
  }
}

/** The last TAIL_BYTES of `before` followed by `after`. */
function lastBytes(before: Buffer, after: Buffer): Buffer {
  if (after.length >= TAIL_BYTES) return after.subarray(after.length - TAIL_BYTES);
  const joined = Buffer.concat([before, after]);
  return joined.subarray(Math.max(0, joined.length - TAIL_BYTES));
}

/** The id a request line ended with (`…,"id":7}`), when it is the last member, as JSON.stringify usually puts it. */
export function trailingRequestId(tail: string): string | number | undefined {
  const match = /"id"\s*:\s*(-?\d{1,15}|"(?:[^"\\]|\\.){0,200}")\s*\}\s*$/.exec(tail);
  if (!match) return undefined;
  try {
    const id: unknown = JSON.parse(match[1]!);
    return typeof id === 'number' || typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

/** A message as the SDK's own transports deliver it, or a description of what is wrong with it. */
export function checkMessage(
  value: unknown,
): { ok: true; message: JSONRPCMessage } | { ok: false; error: string } {
  const parsed = JSONRPCMessageSchema.safeParse(value);
  if (parsed.success) return { ok: true, message: parsed.data };
  const first = parsed.error.issues[0];
  const where = first && first.path.length > 0 ? ` at ${first.path.join('.')}` : '';
  return { ok: false, error: `not a JSON-RPC 2.0 message${where}: ${first?.message ?? 'invalid'}` };
}

/** The opening of a line for an error message. */
export function lineExcerpt(line: string, max = 120): string {
  return line.length > max ? `${JSON.stringify(line.slice(0, max))}…` : JSON.stringify(line);
}

/** A JSON object (not null, not an array). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Writes serialized messages as lines, all those written in one turn of the event loop with one write: at load,
 * the calls that a group commit releases together go out in one syscall (and wake the reader once), not one each.
 */
export class LineWriter {
  private queue: string[] = [];
  private scheduled = false;
  private drained: Promise<void> | undefined;
  private readonly stream: Writable;

  constructor(stream: Writable) {
    this.stream = stream;
  }

  /** Queues one message (JSON.stringify output: no newline in it); resolves at once unless the stream is full. */
  write(json: string): Promise<void> {
    this.queue.push(json);
    if (!this.scheduled) {
      this.scheduled = true;
      // After the current callback and every promise job it started, before the loop polls again.
      process.nextTick(this.flush);
    }
    return this.drained ?? RESOLVED;
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    const text = this.queue.length === 1 ? this.queue[0]! + '\n' : this.queue.join('\n') + '\n';
    this.queue = [];
    if (!this.stream.writable) return;
    if (!this.stream.write(text) && !this.drained) {
      this.drained = new Promise((resolve) =>
        this.stream.once('drain', () => {
          this.drained = undefined;
          resolve();
        }),
      );
    }
  };
}

const RESOLVED = Promise.resolve();
