// Writing the log out for auditors and other tools: JSON Lines and CSV, one event per line, streamed.
import type { AuditEvent } from './types.js';

export type ExportFormat = 'jsonl' | 'csv';

/** The CSV columns, in order. `data` holds the event's data as JSON text. */
export const CSV_COLUMNS = [
  'seq',
  'ts',
  'type',
  'request_id',
  'session_id',
  'prev_hash',
  'hash',
  'data',
] as const;

/** A destination with Node's write/backpressure contract (a file stream, process.stdout, a PassThrough). */
export interface ExportSink {
  write(chunk: string): boolean;
  once(event: 'drain', listener: () => void): unknown;
}

/** One JSON Lines line (with its newline) for an event. */
export function eventToJsonLine(event: AuditEvent): string {
  return `${JSON.stringify(event)}\n`;
}

/**
 * One CSV record (RFC 4180, CRLF-terminated) for an event. Values are written as they are, without the spreadsheet
 * formula escaping some tools add, so the hashes can be recomputed from the file.
 */
export function eventToCsvRecord(event: AuditEvent): string {
  const fields = [
    String(event.seq),
    event.ts,
    event.type,
    event.requestId ?? '',
    event.sessionId ?? '',
    event.prevHash,
    event.hash,
    JSON.stringify(event.data),
  ];
  return `${fields.map(csvField).join(',')}\r\n`;
}

/** Quotes a CSV field when it holds a quote, comma, CR or LF (doubling inner quotes). */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/**
 * Writes every event to `sink` in the given format, waiting for `drain` when the sink is full, so memory stays flat
 * whatever the log's size. Returns the number of events written.
 */
export async function writeEvents(
  events: Iterable<AuditEvent>,
  format: ExportFormat,
  sink: ExportSink,
): Promise<number> {
  const line = format === 'csv' ? eventToCsvRecord : eventToJsonLine;
  let count = 0;
  if (format === 'csv') await put(sink, `${CSV_COLUMNS.join(',')}\r\n`);
  for (const event of events) {
    const full = put(sink, line(event));
    if (full) await full;
    count += 1;
  }
  return count;
}

function put(sink: ExportSink, chunk: string): Promise<void> | void {
  if (sink.write(chunk)) return;
  return new Promise((resolve) => sink.once('drain', resolve));
}
