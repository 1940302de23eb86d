// Helpers for the wire-layer tests: waiting on real streams, and reading the JSON lines a transport writes.
import { PassThrough } from 'node:stream';

/** Polls until `check` returns a truthy value; rejects after `timeoutMs` naming what it waited for. */
export async function until<T>(
  check: () => T | undefined | false,
  what: string,
  timeoutMs = 5_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Lets queued stream events and promise callbacks run (a PassThrough delivers writes asynchronously). */
export function settle(ms = 20): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A stream standing in for stdout, and every line written to it, parsed as JSON. */
export function captureLines(): {
  stream: PassThrough;
  lines: Array<Record<string, unknown>>;
  raw: string[];
} {
  const stream = new PassThrough();
  const lines: Array<Record<string, unknown>> = [];
  const raw: string[] = [];
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    pending += chunk;
    let newline = pending.indexOf('\n');
    while (newline !== -1) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      raw.push(line);
      lines.push(JSON.parse(line) as Record<string, unknown>);
      newline = pending.indexOf('\n');
    }
  });
  return { stream, lines, raw };
}
