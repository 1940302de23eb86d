// Several processes on one database: gateways and the review service each have their own connection and see each
// other's changes; a gateway's requests die with it; gateways can tell whether a review service is alive.
import { spawn, spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { describe, expect, test } from 'vitest';
import { START, useBrokers, viaToken } from './helpers.js';
import { APPROVALS_SCHEMA_VERSION } from '../../src/approvals/store-schema.js';
import { processAlive } from '../../src/approvals/gateway-liveness.js';

const open = useBrokers();

const after = (ms: number) => new Date(Date.parse(START) + ms).toISOString();

describe('two connections on one file', () => {
  test('a decision made through the review service reaches the gateway, and the log holds both', () => {
    const gateway = open();
    const review = open({ file: gateway.file, clock: gateway.clock });
    gateway.create('req-1', { quorum: 2 });

    expect(review.broker.list({ status: 'pending' }).map((r) => r.id)).toEqual(['req-1']);
    const before = gateway.broker.version('req-1')!;
    review.broker.decide('req-1', viaToken('bob'), 'approve', '');
    expect(gateway.broker.version('req-1')).toBeGreaterThan(before);
    expect(gateway.broker.get('req-1')).toMatchObject({ status: 'pending', approvals: 1 });

    // The other side counts the same person once too: its own connection reads the first approval.
    const again = gateway.broker.decide('req-1', viaToken('bob'), 'approve', '');
    expect(again).toMatchObject({ ok: false, code: 'conflict' });
    review.broker.decide('req-1', viaToken('carol'), 'approve', '');
    expect(gateway.broker.get('req-1')?.status).toBe('approved');
    expect(gateway.broker.consume('req-1', 'a'.repeat(64))).toBe(true);
    expect(review.broker.consume('req-1', 'a'.repeat(64))).toBe(false);
    expect(review.broker.get('req-1')?.consumedAt).toBeDefined();

    expect(gateway.events('req-1')).toEqual([
      'approval.requested',
      'approval.decision',
      'approval.refused',
      'approval.decision',
      'approval.approved',
      'approval.executing',
    ]);
    expect(review.audit.verify()).toMatchObject({ ok: true });
  });

  test('keeps the approval tables apart from the audit schema, with their own version', () => {
    const t = open();
    t.create('req-1');
    const db = new Database(t.file, { readonly: true });
    try {
      expect(db.prepare('SELECT version FROM approvals_meta').all()).toEqual([
        { version: APPROVALS_SCHEMA_VERSION },
      ]);
      const tables = db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .all()
        .map((row) => (row as { name: string }).name);
      expect(tables).toEqual(
        expect.arrayContaining([
          'approval_decisions',
          'approval_messages',
          'approval_notifications',
          'approval_requests',
          'approvals_meta',
          'events',
          'gateway_sessions',
          'review_services',
        ]),
      );
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      db.close();
    }
  });

  test('refuses a database whose approval tables are newer than this Warden', () => {
    const t = open();
    t.broker.close();
    const db = new Database(t.file);
    db.prepare('UPDATE approvals_meta SET version = 99').run();
    db.close();
    expect(() => open({ file: t.file })).toThrow(/approval schema 99, newer than this Warden understands/);
  });
});

describe('gateway sessions', () => {
  test('abandonOrphans abandons pending and approved-unconsumed requests of dead gateways only', () => {
    const t = open();
    const dead = { gatewaySession: 'dead-session', gatewayPid: 111 };
    const live = { gatewaySession: 'live-session', gatewayPid: 222 };
    t.create('dead-pending', dead);
    t.create('dead-approved', dead);
    t.create('dead-consumed', dead);
    t.create('dead-rejected', dead);
    t.create('live-pending', live);
    t.create('live-approved', live);
    for (const id of ['dead-approved', 'dead-consumed', 'live-approved']) {
      t.broker.decide(id, viaToken('bob'), 'approve', '');
    }
    t.broker.consume('dead-consumed', 'a'.repeat(64));
    t.broker.decide('dead-rejected', viaToken('bob'), 'reject', 'no');

    const asked: number[] = [];
    const abandoned = t.broker.abandonOrphans((pid) => {
      asked.push(pid);
      return pid === 222;
    });
    expect(abandoned.sort()).toEqual(['dead-approved', 'dead-pending']);
    expect(asked.sort()).toEqual([111, 222]);
    expect(t.broker.get('dead-pending')).toMatchObject({
      status: 'abandoned',
      outcomeReason:
        'abandoned: the gateway holding the call (pid 111, session dead-session) is gone; it can never run',
    });
    expect(t.broker.get('dead-approved')?.status).toBe('abandoned');
    expect(t.broker.get('dead-consumed')?.status).toBe('approved');
    expect(t.broker.get('dead-rejected')?.status).toBe('rejected');
    expect(t.broker.get('live-pending')?.status).toBe('pending');
    expect(t.broker.get('live-approved')?.status).toBe('approved');
    // It can never run, and a late decision is refused.
    expect(t.broker.consume('dead-approved', 'a'.repeat(64))).toBe(false);
    expect(t.broker.decide('dead-pending', viaToken('carol'), 'approve', '')).toMatchObject({
      ok: false,
      code: 'conflict',
      message: expect.stringMatching(/^already abandoned/),
    });
    expect(t.events('dead-approved')).toEqual([
      'approval.requested',
      'approval.decision',
      'approval.approved',
      'approval.abandoned',
    ]);
    expect(t.eventData('dead-pending', 'approval.abandoned')[0]).toMatchObject({
      gatewayPid: 111,
      gatewaySession: 'dead-session',
      previousStatus: 'pending',
    });
    expect(t.broker.abandonOrphans(() => false).sort()).toEqual(['live-approved', 'live-pending']);
  });

  test('with staleAfterMs, treats a live pid whose session stopped its heartbeats as gone (a reused pid)', () => {
    const t = open();
    t.broker.registerGateway('old', 333);
    t.broker.registerGateway('current', 444);
    t.create('old-request', { gatewaySession: 'old', gatewayPid: 333 });
    t.create('current-request', { gatewaySession: 'current', gatewayPid: 444 });
    t.clock.set(after(60_000));
    expect(t.broker.heartbeatGateway('current')).toBe(true);
    expect(t.broker.heartbeatGateway('never-registered')).toBe(false);
    expect(t.broker.abandonOrphans(() => true, { staleAfterMs: 30_000 })).toEqual(['old-request']);
    expect(t.broker.get('current-request')?.status).toBe('pending');
    expect(t.broker.unregisterGateway('current')).toBe(true);
  });

  test('works with real process ids: a finished child is gone, this process is alive', () => {
    const t = open();
    const child = spawnSync(process.execPath, ['-e', '0']);
    const isAlive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    t.create('from-dead-child', { gatewayPid: child.pid! });
    t.create('from-this-process', { gatewayPid: process.pid });
    expect(t.broker.abandonOrphans(isAlive)).toEqual(['from-dead-child']);
  });
});

describe('processAlive', () => {
  test('is true for this process, false for a finished child and for a zombie nobody reaped', async () => {
    expect(processAlive(process.pid)).toBe(true);
    const finished = spawnSync(process.execPath, ['-e', '0']);
    expect(processAlive(finished.pid!)).toBe(false);
    if (process.platform !== 'linux') return;
    // `sleep 0` exits at once; its parent becomes `sleep 5`, which never reaps it: a zombie, as a SIGKILLed gateway
    // stays until its parent (the MCP client) waits for it.
    const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 5'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    try {
      const zombie = Number(
        await new Promise<string>((resolve) => parent.stdout!.once('data', (d) => resolve(String(d)))),
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      let signalled = true;
      try {
        process.kill(zombie, 0);
      } catch {
        signalled = false;
      }
      expect(signalled).toBe(true);
      expect(processAlive(zombie)).toBe(false);
    } finally {
      parent.kill();
    }
  });
});

describe('review service liveness', () => {
  test('is live while heartbeats are recent, and not after it stops or unregisters', () => {
    const gateway = open();
    const review = open({ file: gateway.file, clock: gateway.clock });
    expect(gateway.broker.liveReviewService(5_000)).toBe(false);
    review.broker.registerReviewService('instance-1', 555);
    expect(gateway.broker.liveReviewService(5_000)).toBe(true);
    gateway.clock.set(after(6_000));
    expect(gateway.broker.liveReviewService(5_000)).toBe(false);
    expect(review.broker.heartbeatReviewService('instance-1')).toBe(true);
    expect(gateway.broker.liveReviewService(5_000)).toBe(true);
    expect(review.broker.unregisterReviewService('instance-1')).toBe(true);
    expect(gateway.broker.liveReviewService(5_000)).toBe(false);
    expect(review.broker.heartbeatReviewService('instance-1')).toBe(false);
  });
});
