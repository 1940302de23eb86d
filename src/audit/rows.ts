// Turning SQLite rows into the audit types, and the filters auditors type into SQL parameters.
import { WardenError } from '../errors.js';
import type { EventRow } from './chain.js';
import type { AuditEvent, RequestStatus, RequestSummary } from './types.js';

/** Every status the `requests` view produces. */
export const REQUEST_STATUSES: readonly RequestStatus[] = [
  'denied',
  'invalid',
  'unavailable',
  'ok',
  'tool_error',
  'failed',
  'cancelled',
  'timeout',
  'in_flight',
  'pending_approval',
];

/** A `requests` view row as SQLite returns it. */
export interface RequestRow {
  seq: number;
  request_id: string;
  ts: string;
  session_id: string | null;
  principal: string | null;
  agent: string | null;
  server: string | null;
  tool: string | null;
  exposed_name: string | null;
  args: string | null;
  args_hash: string | null;
  risk: string | null;
  action: string | null;
  rules: string;
  decision: string | null;
  status: string;
  duration_ms: number | null;
  finished_at: string | null;
  reason: string | null;
  error: string | null;
  excerpt: string | null;
  policy_version: string | null;
  approved_by: string | null;
  rejected_by: string | null;
}

const RELATIVE_UNITS_MS: Record<string, number> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/**
 * `30m`, `1h`, `2d`, `1w` (before `now`) or an ISO date/time, as an ISO-8601 UTC string comparable with stored `ts`.
 * Throws a USAGE error naming the accepted forms.
 */
export function parseSince(text: string, now: number = Date.now()): string {
  const trimmed = text.trim();
  const usage = (why = '') =>
    new WardenError(
      'USAGE',
      `since: expected an age such as 30m, 1h, 2d, 1w or a date such as 2025-01-31 or 2025-01-31T09:00 (UTC unless it ends in Z or ±hh:mm), got "${text}"${why}`,
    );
  const relative = /^(\d+)\s*([smhdw])$/.exec(trimmed);
  if (relative) {
    const time = now - Number(relative[1]) * RELATIVE_UNITS_MS[relative[2]!]!;
    if (!Number.isFinite(time) || Number.isNaN(new Date(time).getTime()))
      throw usage(': that is too far back');
    return new Date(time).toISOString();
  }
  // Times without a zone are UTC, as `audit list` prints them: a time pasted from its output means the same anywhere.
  const date = DATE_TIME.exec(trimmed);
  if (!date) throw usage();
  const [, year, month, day, hour = '00', minute = '00', second = '00', fraction = '', zone = 'Z'] = date;
  const time = Date.parse(`${year}-${month}-${day}T${hour}:${minute}:${second}${fraction}${zone}`);
  // Date.parse rolls 2025-02-30 over into March; a date that does not exist is a typo.
  const calendar = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
  if (
    Number.isNaN(time) ||
    calendar.getUTCMonth() !== Number(month) - 1 ||
    calendar.getUTCDate() !== Number(day)
  ) {
    throw usage(': there is no such date or time');
  }
  return new Date(time).toISOString();
}

/** `YYYY-MM-DD`, optionally `[T ]HH:MM[:SS[.fff]]`, optionally `Z` or `±HH:MM`. */
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?$/i;

/** Validates a status filter. */
export function parseStatus(text: string): RequestStatus {
  const status = REQUEST_STATUSES.find((known) => known === text.trim());
  if (!status) {
    const hint =
      text.trim() === 'rejected'
        ? " (a reviewer's rejection is status denied with decision rejected; a call Warden refused as bad input is invalid)"
        : '';
    throw new WardenError(
      'USAGE',
      `status: expected one of ${REQUEST_STATUSES.join(', ')}, got "${text}"${hint}`,
    );
  }
  return status;
}

export function rowToEvent(row: EventRow): AuditEvent {
  const event: AuditEvent = {
    seq: row.seq,
    ts: row.ts,
    type: row.type,
    data: parseJson(row.data) as Record<string, unknown>,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
  if (row.request_id !== null) event.requestId = row.request_id;
  if (row.session_id !== null) event.sessionId = row.session_id;
  return event;
}

export function rowToSummary(row: RequestRow): RequestSummary {
  const rules = parseJson(row.rules);
  return {
    requestId: row.request_id,
    ts: row.ts,
    sessionId: row.session_id,
    principal: row.principal,
    agent: row.agent,
    server: row.server,
    tool: row.tool,
    exposedName: row.exposed_name,
    args: row.args === null ? null : parseJson(row.args),
    argsHash: row.args_hash,
    risk: row.risk,
    action: row.action,
    rules: Array.isArray(rules) ? rules.filter((id) => id !== null && id !== undefined).map(String) : [],
    decision: row.decision,
    status: row.status as RequestStatus,
    durationMs: row.duration_ms === null ? null : Number(row.duration_ms),
    finishedAt: row.finished_at,
    reason: row.reason,
    error: row.error,
    excerpt: row.excerpt,
    policyVersion: row.policy_version,
    approvedBy: approvers(row.approved_by),
    rejectedBy: row.rejected_by,
  };
}

function approvers(text: string | null): string[] {
  if (text === null) return [];
  const parsed = parseJson(text);
  return Array.isArray(parsed) ? parsed.map(String) : [];
}

/** Stored JSON that fails to parse (an edited row) is shown as its text; verify() reports the edit. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
