// Export: every event, in order, as JSON Lines or CSV that parse back to exactly what was stored.
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, test } from 'vitest';
import {
  CSV_COLUMNS,
  csvField,
  eventHash,
  openAuditStore,
  writeEvents,
  type AuditEvent,
  type ExportFormat,
} from '../../src/audit/index.js';
import { intent, outcome, parseCsv, useTempDir } from './helpers.js';

const tempDir = useTempDir();

/** A log whose data holds quotes, commas, newlines, unicode and an event without ids. */
function trickyLog(): { file: string; events: AuditEvent[] } {
  const file = path.join(tempDir(), 'warden.db');
  const store = openAuditStore(file);
  const events = [
    store.append({ type: 'gateway.started', data: { pid: 7, configPath: 'C:\\agents\\warden.yaml' } }),
    store.append(
      intent('req-1', {
        args: { content: 'line one\r\nline "two", with commas,\nand more', emoji: 'héllo ✓ 🎉' },
      }),
    ),
    store.append(outcome('req-1', { excerpt: '"quoted" start,', status: 'tool_error', isError: true })),
  ];
  store.close();
  return { file, events };
}

async function exportText(file: string, format: ExportFormat): Promise<{ text: string; count: number }> {
  const store = openAuditStore(file, { readonly: true });
  const sink = new PassThrough();
  const chunks: Buffer[] = [];
  sink.on('data', (chunk: Buffer) => chunks.push(chunk));
  const count = await writeEvents(store.events(), format, sink);
  store.close();
  return { text: Buffer.concat(chunks).toString('utf8'), count };
}

describe('JSON Lines export', () => {
  test('writes one AuditEvent per line, identical to what was stored', async () => {
    const { file, events } = trickyLog();
    const { text, count } = await exportText(file, 'jsonl');
    expect(count).toBe(3);
    const lines = text.split('\n');
    expect(lines.at(-1)).toBe('');
    expect(lines.slice(0, -1).map((line) => JSON.parse(line))).toEqual(events);
  });

  test('carries what an outside verifier needs to recompute every hash', async () => {
    const { file } = trickyLog();
    const { text } = await exportText(file, 'jsonl');
    let prev = '0'.repeat(64);
    for (const line of text.trim().split('\n')) {
      const event = JSON.parse(line) as AuditEvent;
      expect(event.prevHash).toBe(prev);
      expect(eventHash(prev, event)).toBe(event.hash);
      prev = event.hash;
    }
  });
});

describe('CSV export', () => {
  test('writes a header and one properly quoted record per event that parse back to the events', async () => {
    const { file, events } = trickyLog();
    const { text, count } = await exportText(file, 'csv');
    expect(count).toBe(3);
    const [header, ...records] = parseCsv(text);
    expect(header).toEqual([...CSV_COLUMNS]);
    expect(records).toHaveLength(3);
    const parsed = records.map((r) => Object.fromEntries(header!.map((name, i) => [name, r[i]])));
    expect(parsed.map((r) => r.data).map((d) => JSON.parse(d!))).toEqual(events.map((e) => e.data));
    expect(parsed[0]).toMatchObject({ seq: '1', type: 'gateway.started', request_id: '', session_id: '' });
    expect(parsed[1]).toMatchObject({
      seq: '2',
      ts: events[1]!.ts,
      request_id: 'req-1',
      session_id: 'session-1',
      prev_hash: events[0]!.hash,
      hash: events[1]!.hash,
    });
  });

  test('quotes only fields that need it', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\r')).toBe('"cr\r"');
  });
});

test('waits for drain when the sink is full, and writes everything in order', async () => {
  const file = path.join(tempDir(), 'warden.db');
  const store = openAuditStore(file);
  store.appendMany(Array.from({ length: 2000 }, (_, i) => intent(`req-${i}`)));
  // A tiny buffer that nobody reads until later: writeEvents must pause instead of buffering everything.
  const sink = new PassThrough({ highWaterMark: 1024 });
  let drains = 0;
  const originalOnce = sink.once.bind(sink);
  sink.once = ((event: string, listener: () => void) => {
    if (event === 'drain') drains += 1;
    return originalOnce(event, listener);
  }) as typeof sink.once;
  const chunks: Buffer[] = [];
  const writing = writeEvents(store.events(), 'jsonl', sink);
  sink.on('data', (chunk: Buffer) => chunks.push(chunk));
  expect(await writing).toBe(2000);
  store.close();
  expect(drains).toBeGreaterThan(0);
  const seqs = Buffer.concat(chunks)
    .toString('utf8')
    .trim()
    .split('\n')
    .map((line) => (JSON.parse(line) as AuditEvent).seq);
  expect(seqs).toEqual(Array.from({ length: 2000 }, (_, i) => i + 1));
});

test('events() pages with afterSeq and limit', () => {
  const file = path.join(tempDir(), 'warden.db');
  const store = openAuditStore(file);
  store.appendMany(Array.from({ length: 10 }, (_, i) => intent(`req-${i}`)));
  expect([...store.events({ afterSeq: 7 })].map((e) => e.seq)).toEqual([8, 9, 10]);
  expect([...store.events({ afterSeq: 2, limit: 3 })].map((e) => e.seq)).toEqual([3, 4, 5]);
  store.close();
});
