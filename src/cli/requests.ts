// `warden requests list | show`: the operator's view of approval requests (pending, decided, expired…), read-only.
import type { Command } from 'commander';
import { openApprovalStore, type ApprovalStore } from '../approvals/store.js';
import {
  APPROVAL_STATUSES,
  type ApprovalNotification,
  type ApprovalRequestView,
  type ApprovalStatus,
} from '../approvals/types.js';
import {
  type DatabaseOptions,
  databasePath,
  formatTable,
  printable,
  withDatabaseOptions,
} from './database-options.js';
import { WardenError, errorMessage } from '../errors.js';
import { excerpt } from '../redact/index.js';

/** Where the requests commands write. Defaults to the process's streams; tests pass their own. */
export interface RequestsCliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

interface ListOptions extends DatabaseOptions {
  pending?: boolean;
  status?: string;
  limit?: string;
  json?: boolean;
}

/** Registers `warden requests …` on the program. */
export function registerRequestsCommands(
  program: Command,
  io: RequestsCliIo = { stdout: process.stdout, stderr: process.stderr },
): void {
  const requests = program
    .command('requests')
    .description('approval requests: what is waiting for whom, and how each one ended');
  const out = (text: string) => io.stdout.write(text);

  /** Opens the approval tables read-only around `body`; errors become `warden: <message>` and exit code 1. */
  const withStore = (options: DatabaseOptions, body: (store: ApprovalStore) => void) => {
    let store: ApprovalStore | undefined;
    try {
      store = openApprovalStore(databasePath(options), { readonly: true });
      body(store);
    } catch (error) {
      io.stderr.write(`warden: ${errorMessage(error)}\n`);
      process.exitCode = 1;
    } finally {
      store?.close();
    }
  };

  withDatabaseOptions(requests.command('list'))
    .description('list approval requests, newest first')
    .option('--pending', 'only requests still waiting for a decision (same as --status pending)')
    .option('--status <status>', `only requests with this status (${APPROVAL_STATUSES.join(', ')})`)
    .option('--limit <n>', 'at most this many requests', '50')
    .option('--json', 'JSON Lines: one request (with decisions and messages) per line')
    .action((_options: unknown, command: Command) => {
      const options = command.optsWithGlobals<ListOptions>();
      withStore(options, (store) => {
        const found = store.list({ status: parseStatusOption(options), limit: parseLimit(options.limit) });
        if (options.json) {
          for (const request of found) out(`${JSON.stringify(request)}\n`);
        } else {
          out(`${formatApprovalTable(found)}\n`);
        }
      });
    });

  withDatabaseOptions(requests.command('show'))
    .description('one request: every field, its decisions, and its questions and answers in order')
    .argument('<id>', 'the request id (from `warden requests list`)')
    .option('--json', 'machine-readable: the request with decisions, messages and notifications')
    .action((id: string, _options: unknown, command: Command) => {
      const options = command.optsWithGlobals<DatabaseOptions & { json?: boolean }>();
      withStore(options, (store) => {
        const request = store.view(id);
        if (!request) {
          throw new WardenError(
            'USAGE',
            `no approval request ${id} in ${store.path}; \`warden requests list\` shows the ids`,
          );
        }
        const notifications = store.notifications(id);
        if (options.json) out(`${JSON.stringify({ ...request, notifications }, null, 2)}\n`);
        else out(`${formatApprovalDetails(request, notifications)}\n`);
      });
    });
}

/** A fixed-width table of requests, without a trailing newline. Agent-supplied text is neutralized. */
export function formatApprovalTable(requests: readonly ApprovalRequestView[]): string {
  if (requests.length === 0) return '(no approval requests)';
  const header = [
    'ID',
    'STATUS',
    'TOOL',
    'RISK',
    'REQUESTER',
    'REVIEWERS',
    'APPROVALS',
    'CREATED (UTC)',
    'EXPIRES (UTC)',
  ];
  const rows = requests.map((r) =>
    [
      r.id,
      r.status,
      r.exposedName,
      r.risk,
      r.requester.id ?? r.requester.email ?? '-',
      (r.reviewers.length > 0 ? r.reviewers : r.reviewerSpecs).join(',') || '-',
      `${r.approvals}/${r.quorum}`,
      shortTime(r.createdAt),
      shortTime(r.expiresAt),
    ].map((cell) => printable(excerpt(cell, 48))),
  );
  return formatTable(header, rows);
}

/** The readable `warden requests show` text: every field, then decisions, messages and notifications in order. */
export function formatApprovalDetails(
  request: ApprovalRequestView,
  notifications: readonly ApprovalNotification[] = [],
): string {
  const requester = request.requester;
  const fields: Array<[string, string | undefined]> = [
    ['request', request.id],
    ['status', request.status],
    ['outcome', request.outcomeReason],
    ['tool', request.exposedName],
    ['server/tool', `${request.server} / ${request.tool}`],
    ['risk', request.risk],
    ['reason', request.reason],
    ['rules', request.rules.join(', ') || undefined],
    ['policy version', request.policyVersion],
    ['requester', identityText(requester)],
    ['agent', [request.agent.name, request.agent.version].filter(Boolean).join('/') || undefined],
    ['reviewer specs', request.reviewerSpecs.join(', ') || undefined],
    ['reviewers', request.reviewers.join(', ') || undefined],
    ['approvals', `${request.approvals} of ${request.quorum}`],
    ['created', request.createdAt],
    ['expires', request.expiresAt],
    ['timeout', `${request.timeoutMs} ms`],
    ['decided', request.decidedAt],
    ['consumed', request.consumedAt],
    ['gateway', `session ${request.gatewaySession}, pid ${request.gatewayPid}`],
    ['args hash', request.argsHash],
    ['args', JSON.stringify(request.argsRedacted)],
    ['version', String(request.version)],
  ];
  const shown = fields.filter((field): field is [string, string] => field[1] !== undefined);
  const width = Math.max(...shown.map(([name]) => name.length));
  const lines = shown.map(([name, value]) => `${name.padEnd(width)}  ${printable(excerpt(value, 2000))}`);

  lines.push('', `decisions (${request.decisions.length}):`);
  for (const d of request.decisions) {
    const comment = d.comment ? `: ${d.comment}` : '';
    lines.push(
      printable(
        `  ${d.at}  ${d.reviewerId}  ${d.decision}  via ${d.identity.channel} (${d.identity.kind} ${d.identity.value})${comment}`,
      ),
    );
  }
  lines.push('', `questions and answers (${request.messages.length}):`);
  for (const m of request.messages) {
    lines.push(printable(`  ${m.at}  ${m.kind} from ${m.author}: ${excerpt(m.text, 2000)}`));
  }
  if (notifications.length > 0) {
    lines.push('', `notifications (${notifications.length}):`);
    for (const n of notifications) lines.push(printable(`  ${n.at}  ${n.channel}  ${n.messageId || '-'}`));
  }
  return lines.join('\n');
}

function identityText(identity: ApprovalRequestView['requester']): string | undefined {
  const parts = [
    identity.id,
    identity.name && `(${identity.name})`,
    identity.email && identity.email !== identity.id ? `<${identity.email}>` : undefined,
    identity.entraObjectId && `entra ${identity.entraObjectId}`,
  ].filter(Boolean);
  return parts.length > 0 ? parts.join(' ') : undefined;
}

function parseStatusOption(options: ListOptions): ApprovalStatus | undefined {
  const status = options.status;
  if (status !== undefined && !(APPROVAL_STATUSES as readonly string[]).includes(status)) {
    throw new WardenError(
      'USAGE',
      `--status: expected one of ${APPROVAL_STATUSES.join(', ')}, got "${status}"`,
    );
  }
  if (options.pending && status !== undefined && status !== 'pending') {
    throw new WardenError('USAGE', `--pending and --status ${status} contradict each other; use one`);
  }
  return options.pending ? 'pending' : (status as ApprovalStatus | undefined);
}

function parseLimit(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < 1) {
    throw new WardenError('USAGE', `--limit: expected a whole number of at least 1, got "${text}"`);
  }
  return value;
}

function shortTime(iso: string): string {
  return iso.replace('T', ' ').slice(0, 19);
}
