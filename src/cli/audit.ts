// `warden audit list | show | export | verify | head`: the auditor's view of the log, read-only.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import type { Command } from 'commander';
import {
  REQUEST_STATUSES,
  formatHead,
  openAuditStore,
  parseHead,
  writeEvents,
  type AuditEvent,
  type AuditStore,
  type ExportSink,
  type RequestSummary,
} from '../audit/index.js';
import {
  type DatabaseOptions,
  databasePath,
  formatTable,
  printable,
  withDatabaseOptions,
} from './database-options.js';
import { WardenError, errorMessage } from '../errors.js';
import { excerpt } from '../redact/index.js';

/** Where the audit commands write. Defaults to the process's streams; tests pass their own. */
export interface AuditCliIo {
  stdout: ExportSink;
  stderr: { write(text: string): unknown };
}

interface ListOptions extends DatabaseOptions {
  since?: string;
  status?: string;
  tool?: string;
  limit?: string;
  json?: boolean;
}

/** Registers `warden audit …` on the program. */
export function registerAuditCommands(
  program: Command,
  io: AuditCliIo = { stdout: process.stdout, stderr: process.stderr },
): void {
  const audit = program.command('audit').description('read, export and verify the tamper-evident audit log');
  const out = (text: string) => io.stdout.write(text);

  /** Opens the log read-only around `body`; errors become `warden: <message>` and exit code 1. */
  const withStore = async (options: DatabaseOptions, body: (store: AuditStore) => Promise<void> | void) => {
    let store: AuditStore | undefined;
    try {
      store = openAuditStore(databasePath(options), { readonly: true });
      await body(store);
    } catch (error) {
      io.stderr.write(`warden: ${errorMessage(error)}\n`);
      process.exitCode = 1;
    } finally {
      store?.close();
    }
  };

  withDatabaseOptions(audit.command('list'))
    .description('list tool calls, newest first')
    .option(
      '--since <age|date>',
      'only calls since an age (30m, 1h, 2d, 1w) or a date/time (UTC unless it ends in Z or ±hh:mm)',
    )
    .option('--status <status>', `only calls with this status (${REQUEST_STATUSES.join(', ')})`)
    .option('--tool <glob>', 'only calls whose exposed or tool name matches the glob (fs__*)')
    .option('--limit <n>', 'at most this many calls', '50')
    .option('--json', 'JSON Lines: one request summary per line')
    .action((_options: unknown, command: Command) => {
      const options = command.optsWithGlobals<ListOptions>();
      return withStore(options, (store) => {
        const requests = store.listRequests({
          since: options.since,
          status: options.status,
          tool: options.tool,
          limit: parseLimit(options.limit),
        });
        if (options.json) {
          for (const request of requests) out(`${JSON.stringify(request)}\n`);
        } else {
          out(`${formatRequestTable(requests)}\n`);
        }
      });
    });

  withDatabaseOptions(audit.command('show'))
    .description('one call: its summary, then every event recorded for it')
    .argument('<request-id>', 'the request id (from `warden audit list`)')
    .option('--json', 'machine-readable: { summary, events }, nothing shortened')
    .action((requestId: string, _options: unknown, command: Command) =>
      withStore(command.optsWithGlobals<DatabaseOptions>(), (store) => {
        const found = store.getRequest(requestId);
        if (!found) {
          throw new WardenError(
            'USAGE',
            `no request ${requestId} in ${store.path}; \`warden audit list\` shows the ids`,
          );
        }
        if (command.optsWithGlobals<{ json?: boolean }>().json) {
          out(`${JSON.stringify(found, null, 2)}\n`);
        } else {
          out(`${formatRequestDetails(found.summary, found.events)}\n`);
        }
      }),
    );

  withDatabaseOptions(audit.command('export'))
    .description('write every event, in order, as JSON Lines or CSV (streamed)')
    .option('--format <format>', 'jsonl or csv', 'jsonl')
    .option('--output <file>', 'write to this file instead of stdout')
    .option('--after <seq>', 'only events after this seq (incremental exports)')
    .action((_options: unknown, command: Command) => {
      const options = command.optsWithGlobals<
        DatabaseOptions & { format: string; output?: string; after?: string }
      >();
      return withStore(options, async (store) => {
        const format = options.format;
        if (format !== 'jsonl' && format !== 'csv') {
          throw new WardenError('USAGE', `--format: expected jsonl or csv, got "${format}"`);
        }
        const afterSeq = options.after === undefined ? 0 : parseWhole('--after', options.after);
        const events = store.events({ afterSeq });
        if (options.output === undefined) {
          await writeEvents(events, format, io.stdout);
          return;
        }
        const file = path.resolve(options.output);
        const count = await writeFile(file, (sink) => writeEvents(events, format, sink));
        io.stderr.write(`exported ${count} events to ${file}\n`);
      });
    });

  withDatabaseOptions(audit.command('verify'))
    .description('recompute the hash chain; exit code 2 when anything was changed or removed')
    .option(
      '--expect-head <seq:hash>',
      'also require the chain to contain this published head (from `warden audit head`)',
    )
    .action((_options: unknown, command: Command) => {
      const options = command.optsWithGlobals<DatabaseOptions & { expectHead?: string }>();
      return withStore(options, (store) => {
        const expectHead = options.expectHead === undefined ? undefined : parseHead(options.expectHead);
        if (options.expectHead !== undefined && !expectHead) {
          throw new WardenError(
            'USAGE',
            `--expect-head: expected SEQ:HASH (a number, a colon, 64 hex digits), got "${options.expectHead}"`,
          );
        }
        const result = store.verify({ expectHead });
        if (result.ok) {
          out(`ok: ${result.count} events, chain intact (head ${formatHead(result.head)})\n`);
          return;
        }
        const [bad] = [...store.events({ afterSeq: result.firstBadSeq - 1, limit: 1 })];
        const lines = [
          `warden: audit log verification FAILED at seq ${result.firstBadSeq}: ${result.problem}`,
        ];
        if (bad && bad.seq === result.firstBadSeq) lines.push(`  event: ${eventLine(bad)}`);
        lines.push(`  ${result.count} events before it verified`);
        io.stderr.write(`${lines.join('\n')}\n`);
        process.exitCode = 2;
      });
    });

  withDatabaseOptions(audit.command('head'))
    .description(
      'print the chain head as SEQ:HASH, to publish outside this machine (verify --expect-head checks it)',
    )
    .action((_options: unknown, command: Command) =>
      withStore(command.optsWithGlobals<DatabaseOptions>(), (store) => {
        out(`${formatHead(store.head())}\n`);
      }),
    );
}

/**
 * A fixed-width table of requests for terminals (`warden audit list`, the demo), without a trailing newline.
 * Values come from the agent, so control characters are neutralized.
 */
export function formatRequestTable(requests: readonly RequestSummary[]): string {
  if (requests.length === 0) return '(no requests)';
  const header = [
    'TIME (UTC)',
    'REQUEST',
    'PRINCIPAL',
    'AGENT',
    'TOOL',
    'RISK',
    'DECISION',
    'BY',
    'STATUS',
    'DURATION',
  ];
  const rows = requests.map((r) =>
    [
      shortTime(r.ts),
      r.requestId,
      r.principal ?? '-',
      r.agent ?? '-',
      r.exposedName ?? '-',
      r.risk ?? '-',
      r.decision ?? '-',
      decidedBy(r) ?? '-',
      r.status,
      r.durationMs === null ? '-' : `${r.durationMs} ms`,
    ].map((cell) => printable(excerpt(cell, 48))),
  );
  return formatTable(header, rows);
}

/** Who approved (every approver of the quorum) or who rejected; null when no human decided. */
function decidedBy(summary: RequestSummary): string | null {
  if (summary.approvedBy.length > 0) return summary.approvedBy.join(', ');
  return summary.rejectedBy;
}

/** Longest value `audit show` prints as text; `--json` prints everything. */
const SHOWN_CHARS = 2000;

/** The readable `warden audit show` text: summary fields, then one line per event. */
export function formatRequestDetails(summary: RequestSummary, events: readonly AuditEvent[]): string {
  const fields: Array<[string, string | null]> = [
    ['request', summary.requestId],
    ['time', summary.ts],
    ['session', summary.sessionId],
    ['principal', summary.principal],
    ['agent', summary.agent],
    ['tool', summary.exposedName],
    ['server/tool', summary.server === null ? null : `${summary.server} / ${summary.tool ?? '-'}`],
    ['risk', summary.risk],
    ['policy action', summary.action],
    ['rules', summary.rules.length > 0 ? summary.rules.join(', ') : null],
    ['decision', summary.decision],
    ['decided by', decidedBy(summary)],
    ['status', summary.status],
    ['duration', summary.durationMs === null ? null : `${summary.durationMs} ms`],
    ['finished', summary.finishedAt],
    ['reason', summary.reason],
    ['error', summary.error],
    ['args', summary.args === null ? null : JSON.stringify(summary.args)],
    ['args hash', summary.argsHash],
    ['result', summary.excerpt],
    ['policy version', summary.policyVersion],
  ];
  const shown = fields.filter((field): field is [string, string] => field[1] !== null);
  const width = Math.max(...shown.map(([name]) => name.length));
  const lines = shown.map(
    ([name, value]) => `${name.padEnd(width)}  ${printable(excerpt(value, SHOWN_CHARS))}`,
  );
  lines.push('', `events (${events.length}):`);
  for (const event of events) lines.push(`  ${eventLine(event)}`);
  return lines.join('\n');
}

function eventLine(event: AuditEvent): string {
  return printable(
    `${event.seq}  ${event.ts}  ${event.type}  ${excerpt(JSON.stringify(event.data), SHOWN_CHARS)}`,
  );
}

function parseLimit(text: string | undefined): number | undefined {
  return text === undefined ? undefined : parseWhole('--limit', text, 1);
}

function parseWhole(option: string, text: string, min = 0): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min) {
    throw new WardenError(
      'USAGE',
      `${option}: expected a whole number${min > 0 ? ` of at least ${min}` : ''}, got "${text}"`,
    );
  }
  return value;
}

/** Streams into a new file and resolves once it is flushed; rejects if it cannot be opened or written. */
async function writeFile(file: string, write: (sink: ExportSink) => Promise<number>): Promise<number> {
  const stream = createWriteStream(file);
  const wrap = (cause: Error) =>
    new WardenError('USAGE', `cannot write ${file}: ${cause.message}`, { cause });
  const failed = new Promise<never>((_resolve, reject) =>
    stream.once('error', (cause) => reject(wrap(cause))),
  );
  failed.catch(() => undefined);
  try {
    // Open before reading anything, so a bad path fails at once.
    await Promise.race([once(stream, 'open'), failed]);
    const count = await Promise.race([write(stream), failed]);
    await new Promise<void>((resolve, reject) =>
      stream.end((error?: Error | null) => (error ? reject(wrap(error)) : resolve())),
    );
    return count;
  } finally {
    if (!stream.writableFinished) stream.destroy();
  }
}

function shortTime(iso: string): string {
  return iso.replace('T', ' ').slice(0, 19);
}
