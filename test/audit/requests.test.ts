// The per-request view: one row per tool call with the status its events add up to, and the auditor's filters.
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, test } from 'vitest';
import { SCHEMA_VERSION, openAuditStore, parseSince, type AuditStore } from '../../src/audit/index.js';
import { MIGRATIONS } from '../../src/audit/schema.js';
import { denied, intent, manualClock, outcome, rejected, useTempDir } from './helpers.js';

const tempDir = useTempDir();

function storeWith(clock = manualClock('2025-03-01T10:00:00.000Z')): AuditStore {
  return openAuditStore(path.join(tempDir(), 'warden.db'), { now: clock.now });
}

/** The gateway's terminal event for a call whose approval ended without running it. */
function approvalDenied(requestId: string, reason: string, approval: string) {
  return {
    type: 'call.denied',
    requestId,
    data: { reason, risk: 'high', action: 'approve', rules: ['needs-approval'], approval },
  };
}

describe('the requests view', () => {
  test('summarizes an allowed call that succeeded', () => {
    const clock = manualClock('2025-03-01T10:00:00.000Z');
    const store = storeWith(clock);
    store.append({ type: 'gateway.started', sessionId: 'session-1', data: { pid: 1 } });
    store.append(intent('req-ok'));
    clock.set('2025-03-01T10:00:00.250Z');
    store.append(outcome('req-ok', { durationMs: 250 }));
    expect(store.listRequests()).toEqual([
      {
        requestId: 'req-ok',
        ts: '2025-03-01T10:00:00.000Z',
        sessionId: 'session-1',
        principal: 'alice@example.com',
        agent: 'claude-code/1.2.3',
        server: 'fs',
        tool: 'write_file',
        exposedName: 'fs__write_file',
        args: { path: '/work/notes.md', content: 'hello', token: '[REDACTED]' },
        argsHash: 'a'.repeat(64),
        risk: 'medium',
        action: 'allow',
        rules: ['fs-write', 'default'],
        decision: 'allow',
        status: 'ok',
        durationMs: 250,
        finishedAt: '2025-03-01T10:00:00.250Z',
        reason: 'writes inside the workspace',
        error: null,
        excerpt: 'wrote 5 bytes',
        policyVersion: 'v1',
        approvedBy: [],
        rejectedBy: null,
      },
    ]);
    store.close();
  });

  test('shows who approved or rejected a call that needed approval, and calls still waiting for a human', () => {
    const store = storeWith();
    const approve = { action: 'approve', risk: 'high' } as const;
    store.append(intent('req-approved', approve));
    store.append({
      type: 'approval.requested',
      requestId: 'req-approved',
      data: { reviewers: ['bob', 'carol'] },
    });
    store.append({
      type: 'approval.approved',
      requestId: 'req-approved',
      data: { approvedBy: ['bob', 'carol'] },
    });
    store.append(outcome('req-approved'));
    store.append(intent('req-rejected', approve));
    store.append({ type: 'approval.rejected', requestId: 'req-rejected', data: { reviewerId: 'bob' } });
    store.append(approvalDenied('req-rejected', 'rejected by Bob: not now', 'rejected'));
    store.append(intent('req-expired', approve));
    store.append(approvalDenied('req-expired', 'expired: no decision within 15m', 'expired'));
    store.append(intent('req-waiting', approve));
    store.append({ type: 'approval.requested', requestId: 'req-waiting', data: {} });

    const byId = Object.fromEntries(store.listRequests().map((r) => [r.requestId, r]));
    expect(byId['req-approved']).toMatchObject({
      decision: 'approved',
      status: 'ok',
      approvedBy: ['bob', 'carol'],
    });
    expect(byId['req-rejected']).toMatchObject({ decision: 'rejected', status: 'denied', rejectedBy: 'bob' });
    expect(byId['req-expired']).toMatchObject({ decision: 'expired', status: 'denied', approvedBy: [] });
    expect(byId['req-waiting']).toMatchObject({ decision: 'approve', status: 'pending_approval' });
    expect(store.listRequests({ status: 'pending_approval' }).map((r) => r.requestId)).toEqual([
      'req-waiting',
    ]);
    store.close();
  });

  test('a call whose approval ended without its own terminal event is denied, not pending forever', () => {
    const clock = manualClock('2025-03-01T10:00:00.000Z');
    const store = storeWith(clock);
    const approve = { action: 'approve', risk: 'high' } as const;
    store.append(intent('req-cancelled', approve));
    store.append(intent('req-abandoned', approve));
    clock.set('2025-03-01T10:05:00.000Z');
    store.append({
      type: 'approval.cancelled',
      requestId: 'req-cancelled',
      data: { reason: 'the gateway stopped while the call waited for approval' },
    });
    store.append({
      type: 'approval.abandoned',
      requestId: 'req-abandoned',
      data: { reason: 'abandoned: the gateway holding the call (pid 7) is gone', previousStatus: 'pending' },
    });
    const byId = Object.fromEntries(store.listRequests().map((r) => [r.requestId, r]));
    expect(byId['req-cancelled']).toMatchObject({
      status: 'denied',
      decision: 'cancelled',
      reason: 'the gateway stopped while the call waited for approval',
      finishedAt: '2025-03-01T10:05:00.000Z',
    });
    expect(byId['req-abandoned']).toMatchObject({ status: 'denied', decision: 'abandoned' });
    expect(store.listRequests({ status: 'pending_approval' })).toEqual([]);
    store.close();
  });

  test('a call refused as bad input is invalid, and names who asked when the rejection says so', () => {
    const store = storeWith();
    const event = rejected('req-bad', 'fs__nope');
    event.data = {
      ...event.data,
      principal: { id: 'alice@example.com' },
      agent: { name: 'cursor', version: '1' },
    };
    store.append(event);
    expect(store.listRequests()[0]).toMatchObject({
      status: 'invalid',
      principal: 'alice@example.com',
      agent: 'cursor/1',
      decision: null,
    });
    expect(() => store.listRequests({ status: 'rejected' })).toThrow(
      /got "rejected" \(a reviewer's rejection is status denied with decision rejected/,
    );
    store.close();
  });

  test('a log written by the first schema gets the current view when a writer opens it', () => {
    const file = path.join(tempDir(), 'old.db');
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.exec(MIGRATIONS[0]!);
    db.pragma('user_version = 1');
    db.close();
    const store = openAuditStore(file);
    store.append(intent('req-old', { action: 'approve', risk: 'high' }));
    store.append({ type: 'approval.expired', requestId: 'req-old', data: { reason: 'expired' } });
    expect(store.listRequests()[0]).toMatchObject({ status: 'denied', decision: 'expired' });
    store.close();
    const check = new Database(file, { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    check.close();
  });

  test('gives each call the status of its last terminal event', () => {
    const store = storeWith();
    store.append(intent('req-ok'));
    store.append(intent('req-tool-error'));
    store.append(
      intent('req-denied', { risk: 'critical', action: 'deny', exposedName: 'fs__delete', tool: 'delete' }),
    );
    store.append(rejected('req-rejected', 'fs__unknown'));
    store.append(intent('req-in-flight'));
    store.append(intent('req-failed'));
    store.append(intent('req-timeout'));
    store.append(outcome('req-ok'));
    store.append(outcome('req-tool-error', { status: 'tool_error', isError: true }));
    store.append(denied('req-denied', 'deleting files is not allowed'));
    store.append(outcome('req-failed', { status: 'failed', error: 'downstream crashed' }));
    store.append(outcome('req-timeout', { status: 'timeout', error: 'no answer in 300 s' }));

    const byId = new Map(store.listRequests().map((r) => [r.requestId, r]));
    expect(Object.fromEntries([...byId].map(([id, r]) => [id, r.status]))).toEqual({
      'req-ok': 'ok',
      'req-tool-error': 'tool_error',
      'req-denied': 'denied',
      'req-rejected': 'invalid',
      'req-in-flight': 'in_flight',
      'req-failed': 'failed',
      'req-timeout': 'timeout',
    });
    expect(byId.get('req-denied')).toMatchObject({
      decision: 'deny',
      risk: 'critical',
      reason: 'deleting files is not allowed',
      durationMs: null,
    });
    expect(byId.get('req-failed')).toMatchObject({ error: 'downstream crashed', decision: 'allow' });
    expect(byId.get('req-in-flight')).toMatchObject({
      finishedAt: null,
      durationMs: null,
      decision: 'allow',
    });
    store.close();
  });

  test('includes rejected calls that never had an intent, named by their exposed name', () => {
    const store = storeWith();
    store.append(rejected('req-rejected', 'fs__unknown'));
    expect(store.listRequests()).toEqual([
      expect.objectContaining({
        requestId: 'req-rejected',
        exposedName: 'fs__unknown',
        status: 'invalid',
        reason: 'unknown tool fs__unknown',
        principal: null,
        decision: null,
        rules: [],
        args: null,
      }),
    ]);
    store.close();
  });

  test('a rejection after an intent ends that request; it is listed once', () => {
    const store = storeWith();
    store.append(intent('req-1'));
    store.append(rejected('req-1', 'fs__write_file'));
    const requests = store.listRequests();
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ status: 'invalid', principal: 'alice@example.com' });
    store.close();
  });

  test('other event types and events without a request id are not requests', () => {
    const store = storeWith();
    store.append({ type: 'server.connected', data: { server: 'fs', transport: 'stdio', toolCount: 3 } });
    store.append({ type: 'approval.requested', requestId: 'req-1', data: {} });
    expect(store.listRequests()).toEqual([]);
    store.close();
  });

  test('is a real SQL view auditors can query directly', () => {
    const file = path.join(tempDir(), 'warden.db');
    const store = openAuditStore(file);
    store.append(intent('req-1'));
    store.append(outcome('req-1', { status: 'cancelled' }));
    store.close();
    const db = new Database(file, { readonly: true });
    const row = db.prepare(`SELECT status, rules, args FROM requests WHERE request_id = 'req-1'`).get();
    db.close();
    expect(row).toEqual({
      status: 'cancelled',
      rules: '["fs-write","default"]',
      args: '{"content":"hello","path":"/work/notes.md","token":"[REDACTED]"}',
    });
  });
});

describe('getRequest', () => {
  test("returns the summary and the request's events in order", () => {
    const store = storeWith();
    store.append(intent('req-1'));
    store.append(intent('req-2'));
    store.append({ type: 'approval.requested', requestId: 'req-1', data: { reviewers: ['bob'] } });
    store.append(outcome('req-1'));
    const found = store.getRequest('req-1');
    expect(found?.summary).toMatchObject({ requestId: 'req-1', status: 'ok' });
    expect(found?.events.map((e) => [e.seq, e.type])).toEqual([
      [1, 'call.intent'],
      [3, 'approval.requested'],
      [4, 'call.outcome'],
    ]);
    store.close();
  });

  test('returns undefined for an unknown id', () => {
    const store = storeWith();
    store.append(intent('req-1'));
    expect(store.getRequest('req-404')).toBeUndefined();
    store.close();
  });
});

describe('listRequests filters', () => {
  /** Requests an hour apart, newest last: fs calls ok, a shell call denied, a git call in flight. */
  function history(): { store: AuditStore; clock: ReturnType<typeof manualClock> } {
    const clock = manualClock('2025-03-01T08:00:00.000Z');
    const store = storeWith(clock);
    store.append(intent('req-fs-read', { exposedName: 'fs__read_file', tool: 'read_file' }));
    store.append(outcome('req-fs-read'));
    clock.set('2025-03-01T09:00:00.000Z');
    store.append(
      intent('req-shell', { server: 'shell', exposedName: 'shell__exec', tool: 'exec', action: 'deny' }),
    );
    store.append(denied('req-shell'));
    clock.set('2025-03-01T10:00:00.000Z');
    store.append(intent('req-fs-write'));
    store.append(outcome('req-fs-write'));
    clock.set('2025-03-01T11:00:00.000Z');
    store.append(intent('req-git', { server: 'git', exposedName: 'git__push', tool: 'push' }));
    clock.set('2025-03-01T12:00:00.000Z');
    return { store, clock };
  }

  const ids = (requests: { requestId: string }[]) => requests.map((r) => r.requestId);

  test('lists newest first', () => {
    const { store } = history();
    expect(ids(store.listRequests())).toEqual(['req-git', 'req-fs-write', 'req-shell', 'req-fs-read']);
    store.close();
  });

  test('since: a relative age or an ISO time', () => {
    const { store } = history();
    expect(ids(store.listRequests({ since: '2h' }))).toEqual(['req-git', 'req-fs-write']);
    expect(ids(store.listRequests({ since: '150m' }))).toEqual(['req-git', 'req-fs-write']);
    expect(ids(store.listRequests({ since: '2025-03-01T09:00:00Z' }))).toEqual([
      'req-git',
      'req-fs-write',
      'req-shell',
    ]);
    expect(ids(store.listRequests({ since: '2025-03-02' }))).toEqual([]);
    expect(() => store.listRequests({ since: 'yesterday' })).toThrow(/since: expected an age/);
    store.close();
  });

  test('status', () => {
    const { store } = history();
    expect(ids(store.listRequests({ status: 'ok' }))).toEqual(['req-fs-write', 'req-fs-read']);
    expect(ids(store.listRequests({ status: 'denied' }))).toEqual(['req-shell']);
    expect(ids(store.listRequests({ status: 'in_flight' }))).toEqual(['req-git']);
    expect(() => store.listRequests({ status: 'approved' })).toThrow(
      /status: expected one of denied, invalid, unavailable, ok/,
    );
    store.close();
  });

  test('tool: a glob on the exposed name or the tool name', () => {
    const { store } = history();
    expect(ids(store.listRequests({ tool: 'fs__*' }))).toEqual(['req-fs-write', 'req-fs-read']);
    expect(ids(store.listRequests({ tool: 'push' }))).toEqual(['req-git']);
    expect(ids(store.listRequests({ tool: '*__{exec,push}' }))).toEqual(['req-git', 'req-shell']);
    expect(ids(store.listRequests({ tool: 'nothing*' }))).toEqual([]);
    store.close();
  });

  test('limit, also when combined with a tool glob', () => {
    const { store } = history();
    expect(ids(store.listRequests({ limit: 2 }))).toEqual(['req-git', 'req-fs-write']);
    expect(ids(store.listRequests({ limit: 1, tool: 'fs__*' }))).toEqual(['req-fs-write']);
    expect(() => store.listRequests({ limit: 0 })).toThrow(/limit/);
    store.close();
  });

  test('filters combine', () => {
    const { store } = history();
    expect(ids(store.listRequests({ since: '3h', status: 'ok', tool: 'fs__*' }))).toEqual(['req-fs-write']);
    store.close();
  });
});

describe('parseSince', () => {
  const now = Date.parse('2025-03-01T12:00:00.000Z');
  test('reads s, m, h, d and w ages back from now', () => {
    expect(parseSince('30s', now)).toBe('2025-03-01T11:59:30.000Z');
    expect(parseSince('30m', now)).toBe('2025-03-01T11:30:00.000Z');
    expect(parseSince('1h', now)).toBe('2025-03-01T11:00:00.000Z');
    expect(parseSince('2d', now)).toBe('2025-02-27T12:00:00.000Z');
    expect(parseSince('1w', now)).toBe('2025-02-22T12:00:00.000Z');
  });

  test('normalizes ISO dates to UTC with milliseconds', () => {
    expect(parseSince('2025-02-01', now)).toBe('2025-02-01T00:00:00.000Z');
    expect(parseSince('2025-02-01T10:00:00+02:00', now)).toBe('2025-02-01T08:00:00.000Z');
    expect(parseSince('2025-02-01T10:00:00.5Z', now)).toBe('2025-02-01T10:00:00.500Z');
  });

  test('reads a time without a zone as UTC, as the list prints it, whatever zone the machine is in', () => {
    const zone = process.env.TZ;
    try {
      for (const tz of ['America/New_York', 'Asia/Tokyo', 'UTC']) {
        process.env.TZ = tz;
        expect(parseSince('2025-02-01 10:00:00', now), tz).toBe('2025-02-01T10:00:00.000Z');
        expect(parseSince('2025-02-01T10:00', now), tz).toBe('2025-02-01T10:00:00.000Z');
      }
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });

  test('names dates that do not exist and ages too far back instead of rolling over or crashing', () => {
    expect(() => parseSince('2025-02-30', now)).toThrow(/no such date/);
    expect(() => parseSince('2025-02-01T25:00', now)).toThrow(/no such date or time/);
    expect(() => parseSince('999999999999w', now)).toThrow(/too far back/);
  });

  test('rejects anything else', () => {
    for (const bad of ['', '5', '1y', 'h', '2025-13-45', 'last week']) {
      expect(() => parseSince(bad, now), bad).toThrow(expect.objectContaining({ code: 'USAGE' }));
    }
  });
});
