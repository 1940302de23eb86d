// The broker's rules, on a real SQLite file with a real audit log: a request is created bound to one call, decided by
// the reviewers it names (never by its requester, one person counting once), and leaves every step in the log.
import { describe, expect, test } from 'vitest';
import { WardenError } from '../../src/errors.js';
import type { DecisionResult, IdentityFields } from '../../src/approvals/index.js';
import { REVIEWERS, START, useBrokers, viaToken } from './helpers.js';

const open = useBrokers();

/** ISO time `ms` after the test's start. */
const after = (ms: number) => new Date(Date.parse(START) + ms).toISOString();

function refused(result: DecisionResult): { code: string; message: string } {
  if (result.ok) throw new Error(`expected a refusal, got ${result.effect}`);
  return { code: result.code, message: result.message };
}

describe('createRequest', () => {
  test('records a pending request bound to the call, with its reviewers resolved and its expiry from now', () => {
    const t = open();
    const created = t.create('req-1', { reviewerSpecs: ['group:dba', 'user:dave', 'user:bob'] });
    expect(created).toMatchObject({
      id: 'req-1',
      status: 'pending',
      exposedName: 'db__drop_table',
      argsHash: 'a'.repeat(64),
      reviewerSpecs: ['group:dba', 'user:dave', 'user:bob'],
      reviewers: ['bob', 'carol', 'dave'],
      quorum: 1,
      timeoutMs: 900_000,
      createdAt: START,
      expiresAt: after(900_000),
      requester: { id: 'alice', email: 'alice@example.com' },
      version: 1,
    });
    expect(created.decidedAt).toBeUndefined();
    expect(t.broker.get('req-1')).toMatchObject({
      ...created,
      argsRedacted: { table: 'customers', password: '[REDACTED]' },
      decisions: [],
      messages: [],
      approvals: 0,
    });
    expect(t.events('req-1')).toEqual(['approval.requested']);
    expect(t.eventData('req-1', 'approval.requested')[0]).toMatchObject({
      reviewers: ['bob', 'carol', 'dave'],
      quorum: 1,
      expiresAt: after(900_000),
      argsHash: 'a'.repeat(64),
      gatewayPid: 4242,
    });
  });

  test('leaves the requester out of the reviewers, and says so in the log', () => {
    const t = open();
    const created = t.create('req-1', { reviewerSpecs: ['group:ops'], quorum: 2 });
    expect(created.status).toBe('pending');
    expect(created.reviewers).toEqual(['bob', 'dave']);
    expect(t.eventData('req-1', 'approval.requested')[0]).toMatchObject({ excluded: ['alice-reviewer'] });
  });

  test.each([
    [
      ['user:zed'],
      /user:zed names no reviewer in the config \(configured: bob, carol, dave, alice-reviewer\)/,
    ],
    [['group:nope'], /group:nope names no group in the config \(configured: dba, ops\)/],
    [['dba'], /reviewer spec "dba" must be user:<reviewer id> or group:<group name>/],
    [[], /the rule names no reviewers/],
  ])('fails at once when the reviewers are %j', (reviewerSpecs, reason) => {
    const t = open();
    const created = t.create('req-1', { reviewerSpecs });
    expect(created.status).toBe('failed');
    expect(created.outcomeReason).toMatch(reason);
    expect(created.decidedAt).toBe(START);
    expect(t.broker.get('req-1')?.status).toBe('failed');
    expect(t.events('req-1')).toEqual(['approval.failed']);
    expect(t.eventData('req-1', 'approval.failed')[0]?.reason).toMatch(reason);
  });

  test('fails at once when the quorum cannot be reached without the requester', () => {
    const t = open();
    const created = t.create('req-1', { reviewerSpecs: ['group:ops'], quorum: 3 });
    expect(created.status).toBe('failed');
    expect(created.outcomeReason).toBe(
      'quorum 3 cannot be reached: group:ops resolves to 2 people (bob, dave), not counting the requester (alice-reviewer); add reviewers or lower the quorum',
    );
    expect(t.events('req-1')).toEqual(['approval.failed']);
  });

  test('counts two reviewer ids of one person once when checking the quorum', () => {
    const t = open({
      reviewers: [...REVIEWERS, { id: 'bobby', email: 'BOB@example.com' }],
      groups: { pair: ['bob', 'bobby'] },
    });
    const created = t.create('req-1', { reviewerSpecs: ['group:pair'], quorum: 2 });
    expect(created.status).toBe('failed');
    expect(created.outcomeReason).toMatch(/resolves to 1 person \(bob, bobby\)/);
  });

  test('refuses a second request with the same id', () => {
    const t = open();
    t.create('req-1');
    expect(() => t.broker.createRequest({ ...t.broker.get('req-1')!, agent: {}, gatewayPid: 1 })).toThrow(
      WardenError,
    );
  });
});

describe('decide', () => {
  test('approves at quorum 1', () => {
    const t = open();
    t.create('req-1');
    t.clock.set(after(60_000));
    const result = t.broker.decide('req-1', viaToken('bob'), 'approve', 'looks fine');
    expect(result).toMatchObject({ ok: true, effect: 'approved' });
    const request = t.broker.get('req-1')!;
    expect(request).toMatchObject({
      status: 'approved',
      approvals: 1,
      decidedAt: after(60_000),
      outcomeReason: 'approved by Bob Builder',
    });
    expect(request.decisions).toEqual([
      {
        requestId: 'req-1',
        reviewerId: 'bob',
        identity: viaToken('bob'),
        decision: 'approve',
        comment: 'looks fine',
        at: after(60_000),
      },
    ]);
    expect(t.events('req-1')).toEqual(['approval.requested', 'approval.decision', 'approval.approved']);
    expect(t.eventData('req-1', 'approval.decision')[0]).toEqual({
      reviewerId: 'bob',
      identity: { kind: 'token', value: viaToken('bob').value },
      channel: 'http-api',
      decision: 'approve',
      comment: 'looks fine',
      approvals: 1,
      quorum: 1,
    });
    expect(t.eventData('req-1', 'approval.approved')[0]).toMatchObject({ approvedBy: ['bob'], quorum: 1 });
  });

  test('needs two different reviewers for a quorum of 2', () => {
    const t = open();
    t.create('req-1', { quorum: 2 });
    const first = t.broker.decide('req-1', viaToken('bob'), 'approve', '');
    expect(first).toMatchObject({
      ok: true,
      effect: 'counted',
      request: { status: 'pending', approvals: 1 },
    });
    const second = t.broker.decide('req-1', viaToken('carol'), 'approve', '');
    expect(second).toMatchObject({
      ok: true,
      effect: 'approved',
      request: { status: 'approved', approvals: 2 },
    });
    expect(t.broker.get('req-1')?.outcomeReason).toBe('approved by Bob Builder and Carol');
    expect(t.events('req-1')).toEqual([
      'approval.requested',
      'approval.decision',
      'approval.decision',
      'approval.approved',
    ]);
  });

  test('refuses the same reviewer approving twice, and counts them once', () => {
    const t = open();
    t.create('req-1', { quorum: 2 });
    t.broker.decide('req-1', viaToken('bob'), 'approve', '');
    const again = t.broker.decide('req-1', viaToken('bob'), 'approve', 'really');
    expect(refused(again)).toEqual({
      code: 'conflict',
      message: 'bob already approved; one person counts once',
    });
    expect(t.broker.get('req-1')).toMatchObject({ status: 'pending', approvals: 1 });
    expect(t.broker.get('req-1')?.decisions).toHaveLength(1);
    expect(t.events('req-1')).toEqual(['approval.requested', 'approval.decision', 'approval.refused']);
    expect(t.eventData('req-1', 'approval.refused')[0]).toEqual({
      reviewerId: 'bob',
      identity: { kind: 'token', value: viaToken('bob').value },
      channel: 'http-api',
      decision: 'approve',
      comment: 'really',
      code: 'conflict',
      message: 'bob already approved; one person counts once',
    });
  });

  test('refuses one person approving again under another reviewer id', () => {
    const t = open({
      reviewers: [...REVIEWERS, { id: 'bobby', entraObjectId: '11111111-2222-3333-4444-555555555555' }],
      groups: { trio: ['bob', 'bobby', 'carol'] },
    });
    t.create('req-1', { reviewerSpecs: ['group:trio'], quorum: 2 });
    t.broker.decide('req-1', viaToken('bob'), 'approve', '');
    const other = t.broker.decide('req-1', viaToken('bobby'), 'approve', '');
    expect(refused(other)).toEqual({
      code: 'conflict',
      message: 'bobby (the same person as bob) already approved; one person counts once',
    });
    expect(t.broker.get('req-1')?.approvals).toBe(1);
  });

  test('rejects on any rejection, even after an approval', () => {
    const t = open();
    t.create('req-1', { quorum: 2 });
    t.broker.decide('req-1', viaToken('bob'), 'approve', '');
    t.clock.set(after(5_000));
    const result = t.broker.decide('req-1', viaToken('carol'), 'reject', '  not on a Friday  ');
    expect(result).toMatchObject({ ok: true, effect: 'rejected' });
    expect(t.broker.get('req-1')).toMatchObject({
      status: 'rejected',
      decidedAt: after(5_000),
      outcomeReason: 'rejected by Carol: not on a Friday',
    });
    expect(t.events('req-1')).toEqual(['approval.requested', 'approval.decision', 'approval.rejected']);
    expect(t.eventData('req-1', 'approval.rejected')[0]).toEqual({
      reviewerId: 'carol',
      identity: { kind: 'token', value: viaToken('carol').value },
      channel: 'http-api',
      comment: 'not on a Friday',
      reason: 'rejected by Carol: not on a Friday',
    });
  });

  test('refuses a rejection without a reason and a question without text', () => {
    const t = open();
    t.create('req-1');
    expect(refused(t.broker.decide('req-1', viaToken('bob'), 'reject', '   '))).toEqual({
      code: 'invalid',
      message: 'a rejection needs a reason (comment), so the agent can adapt',
    });
    expect(refused(t.broker.decide('req-1', viaToken('bob'), 'ask', ''))).toMatchObject({ code: 'invalid' });
    expect(refused(t.broker.decide('req-1', viaToken('bob'), 'maybe' as 'approve', 'x'))).toMatchObject({
      code: 'invalid',
    });
    expect(t.broker.get('req-1')).toMatchObject({ status: 'pending', decisions: [], version: 1 });
    expect(t.events('req-1')).toEqual([
      'approval.requested',
      'approval.refused',
      'approval.refused',
      'approval.refused',
    ]);
  });

  test('stores a question, keeps the request pending, and stores the answer', () => {
    const t = open();
    t.create('req-1');
    t.clock.set(after(1_000));
    const asked = t.broker.decide('req-1', viaToken('bob'), 'ask', 'Which environment?');
    expect(asked).toMatchObject({ ok: true, effect: 'asked', request: { status: 'pending', version: 2 } });
    t.clock.set(after(2_000));
    const answered = t.broker.answer('req-1', 'staging only');
    expect(answered).toMatchObject({
      ok: true,
      effect: 'answered',
      request: { status: 'pending', version: 3 },
    });
    expect(t.broker.get('req-1')?.messages).toEqual([
      { requestId: 'req-1', kind: 'question', author: 'bob', text: 'Which environment?', at: after(1_000) },
      { requestId: 'req-1', kind: 'answer', author: 'agent', text: 'staging only', at: after(2_000) },
    ]);
    expect(t.broker.decide('req-1', viaToken('carol'), 'approve', '')).toMatchObject({ effect: 'approved' });
    expect(t.events('req-1')).toEqual([
      'approval.requested',
      'approval.question',
      'approval.answer',
      'approval.decision',
      'approval.approved',
    ]);
    expect(t.eventData('req-1', 'approval.question')[0]).toMatchObject({
      reviewerId: 'bob',
      question: 'Which environment?',
    });
    expect(t.eventData('req-1', 'approval.answer')[0]).toEqual({ answer: 'staging only' });
  });

  test('refuses an answer when nothing was asked, when it is empty, or when the request is over', () => {
    const t = open();
    t.create('req-1');
    expect(refused(t.broker.answer('req-1', 'unprompted'))).toMatchObject({
      code: 'invalid',
      message: expect.stringMatching(/nothing to answer/),
    });
    t.broker.decide('req-1', viaToken('bob'), 'ask', 'why?');
    expect(refused(t.broker.answer('req-1', ' '))).toMatchObject({ code: 'invalid' });
    t.broker.decide('req-1', viaToken('carol'), 'reject', 'no');
    expect(refused(t.broker.answer('req-1', 'because'))).toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/^already rejected by Carol/),
    });
    expect(refused(t.broker.answer('nope', 'x'))).toMatchObject({ code: 'not_found' });
  });

  test('refuses a reviewer the request does not name', () => {
    const t = open();
    t.create('req-1');
    expect(refused(t.broker.decide('req-1', viaToken('dave'), 'approve', ''))).toEqual({
      code: 'forbidden',
      message: 'dave is not a reviewer of req-1 (reviewers: bob, carol)',
    });
    expect(refused(t.broker.decide('req-1', viaToken('mallory'), 'approve', ''))).toMatchObject({
      code: 'forbidden',
    });
    expect(t.broker.get('req-1')).toMatchObject({ status: 'pending', approvals: 0 });
    expect(t.events('req-1')).toEqual(['approval.requested', 'approval.refused', 'approval.refused']);
  });

  test('refuses the requester listed as a reviewer, saying why', () => {
    const t = open();
    t.create('req-1', { reviewerSpecs: ['group:ops'] });
    const result = t.broker.decide('req-1', viaToken('alice-reviewer'), 'approve', '');
    expect(refused(result)).toEqual({
      code: 'forbidden',
      message: 'alice-reviewer is the requester of req-1 and cannot decide it (separation of duties)',
    });
  });

  // Ids are compared when the request is created (the requester is left out of its reviewers); the review service's
  // config may know more about a reviewer than the gateway's did then, so every field is compared again on decision.
  test.each<[string, IdentityFields]>([
    ['id equal to the requester id', { id: 'ALICE' }],
    ['id equal to the requester email', { id: 'alice@example.com' }],
    ['email equal to the requester id', { email: 'alice' }],
    ['email equal to the requester email, in another case', { email: 'Alice@EXAMPLE.com' }],
    ['Entra object id equal to the requester one', { entraObjectId: 'AAAAAAAA-0000-0000-0000-000000000001' }],
  ])('refuses self-approval by a reviewer whose %s', (_label, fields) => {
    const reviewerId = fields.id ?? 'rev';
    const bob = REVIEWERS[0]!;
    const gateway = open({ reviewers: [bob, { id: reviewerId }], groups: {} });
    gateway.create('req-1', { reviewerSpecs: ['user:bob', `user:${reviewerId}`] });
    expect(gateway.broker.get('req-1')).toMatchObject({ status: 'pending' });
    const review = open({
      file: gateway.file,
      clock: gateway.clock,
      reviewers: [bob, { id: reviewerId, ...fields }],
      groups: {},
    });
    const result = review.broker.decide('req-1', viaToken(reviewerId), 'approve', '');
    expect(refused(result)).toEqual({
      code: 'forbidden',
      message: `${reviewerId} is the requester of req-1 and cannot decide it (separation of duties)`,
    });
    expect(review.broker.get('req-1')).toMatchObject({ status: 'pending', approvals: 0, decisions: [] });
    expect(review.events('req-1')).toEqual(['approval.requested', 'approval.refused']);
  });

  test('refuses a decision made with the requester own email or Entra object id as the identity', () => {
    const t = open();
    t.create('req-1');
    const byEmail = {
      reviewerId: 'bob',
      kind: 'email',
      value: 'ALICE@example.com',
      channel: 'teams',
    } as const;
    const byOid = {
      reviewerId: 'bob',
      kind: 'entraObjectId',
      value: 'aaaaaaaa-0000-0000-0000-000000000001',
      channel: 'teams',
    } as const;
    expect(refused(t.broker.decide('req-1', byEmail, 'approve', ''))).toMatchObject({ code: 'forbidden' });
    expect(refused(t.broker.decide('req-1', byOid, 'approve', ''))).toMatchObject({ code: 'forbidden' });
    expect(t.broker.get('req-1')?.status).toBe('pending');
  });

  test('refuses any decision after a final one: the first final decision wins', () => {
    const t = open();
    t.create('req-1');
    t.clock.set(after(1_000));
    t.broker.decide('req-1', viaToken('bob'), 'approve', '');
    expect(refused(t.broker.decide('req-1', viaToken('carol'), 'reject', 'too late?'))).toEqual({
      code: 'conflict',
      message: `already approved by bob at ${after(1_000)}`,
    });
    t.create('req-2');
    t.broker.decide('req-2', viaToken('carol'), 'reject', 'no');
    expect(refused(t.broker.decide('req-2', viaToken('bob'), 'approve', ''))).toEqual({
      code: 'conflict',
      message: `already rejected by Carol at ${after(1_000)}: no`,
    });
    expect(t.broker.get('req-1')?.status).toBe('approved');
    expect(t.broker.get('req-2')?.status).toBe('rejected');
    expect(t.events('req-1')).toEqual([
      'approval.requested',
      'approval.decision',
      'approval.approved',
      'approval.refused',
    ]);
  });

  test('marks a request expired when a decision arrives after its expiry, and refuses the decision', () => {
    const t = open();
    t.create('req-1');
    t.clock.set(after(15 * 60_000));
    const result = t.broker.decide('req-1', viaToken('bob'), 'approve', '');
    expect(refused(result)).toEqual({ code: 'conflict', message: 'expired: no decision within 15m' });
    expect(t.broker.get('req-1')).toMatchObject({
      status: 'expired',
      decidedAt: after(15 * 60_000),
      outcomeReason: 'expired: no decision within 15m',
    });
    expect(refused(t.broker.decide('req-1', viaToken('carol'), 'approve', ''))).toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/^already expired: no decision within 15m/),
    });
    expect(t.events('req-1')).toEqual([
      'approval.requested',
      'approval.expired',
      'approval.refused',
      'approval.refused',
    ]);
    expect(t.eventData('req-1', 'approval.expired')[0]).toEqual({
      reason: 'expired: no decision within 15m',
    });
  });

  test('refuses a decision after a cancel', () => {
    const t = open();
    t.create('req-1');
    expect(t.broker.cancel('req-1', 'the client cancelled the call')).toBe(true);
    expect(refused(t.broker.decide('req-1', viaToken('bob'), 'approve', ''))).toEqual({
      code: 'conflict',
      message: `already cancelled at ${START}: the client cancelled the call`,
    });
    expect(t.events('req-1')).toEqual(['approval.requested', 'approval.cancelled', 'approval.refused']);
  });

  test('refuses and records a decision on an unknown request', () => {
    const t = open();
    expect(refused(t.broker.decide('ghost', viaToken('bob'), 'approve', ''))).toEqual({
      code: 'not_found',
      message: 'no approval request ghost',
    });
    const rows = [...t.audit.events()].filter((e) => e.requestId === 'ghost').map((e) => e.type);
    expect(rows).toEqual(['approval.refused']);
  });
});

describe('expiry, cancel and fail', () => {
  test('expireIfDue expires a pending request only once it is due', () => {
    const t = open();
    t.create('req-1', { timeoutMs: 40_000 });
    t.clock.set(after(39_999));
    expect(t.broker.expireIfDue('req-1')).toBe(false);
    t.clock.set(after(40_000));
    expect(t.broker.expireIfDue('req-1')).toBe(true);
    expect(t.broker.expireIfDue('req-1')).toBe(false);
    expect(t.broker.get('req-1')?.outcomeReason).toBe('expired: no decision within 40s');
    expect(t.events('req-1')).toEqual(['approval.requested', 'approval.expired']);
  });

  test('sweepExpired expires every due pending request and nothing else', () => {
    const t = open();
    t.create('short', { timeoutMs: 60_000 });
    t.create('long', { timeoutMs: 2 * 3_600_000 + 5 * 60_000 });
    t.create('decided', { timeoutMs: 60_000 });
    t.broker.decide('decided', viaToken('bob'), 'approve', '');
    t.clock.set(after(60_000));
    expect(t.broker.sweepExpired()).toEqual(['short']);
    expect(t.broker.sweepExpired()).toEqual([]);
    t.clock.set(after(3 * 3_600_000));
    expect(t.broker.sweepExpired()).toEqual(['long']);
    expect(t.broker.get('long')?.outcomeReason).toBe('expired: no decision within 2h 5m');
    expect(t.broker.get('decided')?.status).toBe('approved');
  });

  test('cancel and fail end only pending requests', () => {
    const t = open();
    t.create('req-1');
    t.create('req-2');
    expect(t.broker.fail('req-1', 'no review service is running')).toBe(true);
    expect(t.broker.cancel('req-1', 'cancelled')).toBe(false);
    expect(t.broker.get('req-1')).toMatchObject({
      status: 'failed',
      outcomeReason: 'no review service is running',
    });
    expect(t.broker.cancel('req-2', 'cancelled by the client')).toBe(true);
    expect(t.broker.fail('req-2', 'x')).toBe(false);
    expect(t.broker.cancel('ghost', 'x')).toBe(false);
    expect(t.events('req-1')).toEqual(['approval.requested', 'approval.failed']);
    expect(t.eventData('req-2', 'approval.cancelled')).toEqual([{ reason: 'cancelled by the client' }]);
  });
});

describe('consume', () => {
  test('is true once for an approved request with the same arguments, then false', () => {
    const t = open();
    t.create('req-1');
    t.broker.decide('req-1', viaToken('bob'), 'approve', '');
    expect(t.broker.consume('req-1', 'b'.repeat(64))).toBe(false);
    t.clock.set(after(2_000));
    expect(t.broker.consume('req-1', 'a'.repeat(64))).toBe(true);
    expect(t.broker.consume('req-1', 'a'.repeat(64))).toBe(false);
    expect(t.broker.get('req-1')).toMatchObject({ status: 'approved', consumedAt: after(2_000) });
    expect(t.events('req-1')).toEqual([
      'approval.requested',
      'approval.decision',
      'approval.approved',
      'approval.executing',
    ]);
    expect(t.eventData('req-1', 'approval.executing')).toEqual([{ argsHash: 'a'.repeat(64) }]);
  });

  test('is false for a pending, rejected or unknown request', () => {
    const t = open();
    t.create('pending');
    t.create('rejected');
    t.broker.decide('rejected', viaToken('bob'), 'reject', 'no');
    expect(t.broker.consume('pending', 'a'.repeat(64))).toBe(false);
    expect(t.broker.consume('rejected', 'a'.repeat(64))).toBe(false);
    expect(t.broker.consume('ghost', 'a'.repeat(64))).toBe(false);
    expect(t.broker.get('pending')?.consumedAt).toBeUndefined();
  });
});

describe('notifications', () => {
  test('records what a channel posted, and lists the pending requests a channel has not posted yet', () => {
    const t = open();
    t.create('req-1');
    t.create('req-2');
    expect(t.broker.unnotified('teams').map((r) => r.id)).toEqual(['req-1', 'req-2']);
    t.clock.set(after(500));
    expect(t.broker.recordNotified('req-1', 'teams', 'activity-1', { conversationId: 'c-1' })).toBe(true);
    expect(t.broker.recordNotified('ghost', 'teams', 'activity-2')).toBe(false);
    expect(t.broker.notifications('req-1')).toEqual([
      {
        requestId: 'req-1',
        channel: 'teams',
        messageId: 'activity-1',
        details: { conversationId: 'c-1' },
        at: after(500),
      },
    ]);
    expect(t.broker.unnotified('teams').map((r) => r.id)).toEqual(['req-2']);
    expect(t.broker.unnotified('http-api').map((r) => r.id)).toEqual(['req-1', 'req-2']);
    expect(t.events('req-1')).toEqual(['approval.requested', 'approval.notified']);
    expect(t.eventData('req-1', 'approval.notified')).toEqual([
      { channel: 'teams', messageId: 'activity-1' },
    ]);
  });
});

describe('who posts a request (review services on one database)', () => {
  test('the first service to claim a channel posts; a live one that asks later leaves it alone', () => {
    const t = open();
    t.create('req-1');
    t.broker.registerReviewService('svc-a', 101);
    t.broker.registerReviewService('svc-b', 102);
    expect(t.broker.claimNotification('req-1', 'teams', 'svc-a', 3_000)).toBe('post');
    expect(t.broker.claimNotification('req-1', 'teams', 'svc-b', 3_000)).toBe('other');
    // Each channel is claimed on its own.
    expect(t.broker.claimNotification('req-1', 'http-api', 'svc-b', 3_000)).toBe('post');
    // The owner asking again after it posted keeps the post up to date.
    t.broker.recordNotified('req-1', 'teams', 'activity-1');
    expect(t.broker.claimNotification('req-1', 'teams', 'svc-a', 3_000)).toBe('update');
    expect(t.broker.claimNotification('req-1', 'teams', 'svc-b', 3_000)).toBe('other');
  });

  test('a service that stopped sending heartbeats loses its claims to a live one', () => {
    const t = open();
    t.create('req-1');
    t.create('req-2');
    t.broker.registerReviewService('svc-a', 101);
    t.broker.registerReviewService('svc-b', 102);
    expect(t.broker.claimNotification('req-1', 'teams', 'svc-a', 3_000)).toBe('post');
    expect(t.broker.claimNotification('req-2', 'teams', 'svc-a', 3_000)).toBe('post');
    t.broker.recordNotified('req-1', 'teams', 'activity-1');

    t.clock.set(after(5_000));
    t.broker.heartbeatReviewService('svc-b');
    // svc-a was last seen 5 s ago: what it posted, svc-b keeps up to date; what it had not posted yet, svc-b posts.
    expect(t.broker.claimNotification('req-1', 'teams', 'svc-b', 3_000)).toBe('update');
    expect(t.broker.claimNotification('req-2', 'teams', 'svc-b', 3_000)).toBe('post');
    expect(t.broker.claimNotification('req-2', 'teams', 'svc-a', 3_000)).toBe('other');
  });

  test('a service that stopped cleanly (unregistered) hands its claims over at once', () => {
    const t = open();
    t.create('req-1');
    t.broker.registerReviewService('svc-a', 101);
    t.broker.registerReviewService('svc-b', 102);
    expect(t.broker.claimNotification('req-1', 'teams', 'svc-a', 3_000)).toBe('post');
    t.broker.unregisterReviewService('svc-a');
    expect(t.broker.claimNotification('req-1', 'teams', 'svc-b', 3_000)).toBe('post');
  });
});

describe('list and version', () => {
  test('lists newest first, by status, and bumps the version on every change', () => {
    const t = open();
    t.create('first');
    t.clock.set(after(1_000));
    t.create('second');
    t.clock.set(after(2_000));
    t.create('third');
    t.broker.decide('second', viaToken('bob'), 'approve', '');
    expect(t.broker.list().map((r) => r.id)).toEqual(['third', 'second', 'first']);
    expect(t.broker.list({ status: 'pending' }).map((r) => r.id)).toEqual(['third', 'first']);
    expect(t.broker.list({ limit: 1 }).map((r) => r.id)).toEqual(['third']);
    expect(t.broker.version('first')).toBe(1);
    expect(t.broker.version('second')).toBeGreaterThan(1);
    expect(t.broker.version('ghost')).toBeUndefined();
    expect(() => t.broker.list({ limit: 0 })).toThrow(/limit/);
  });
});

describe('the audit story', () => {
  test('every step is an event of the request, in order, in a chain that verifies', () => {
    const t = open();
    t.create('req-1', { quorum: 2 });
    t.broker.recordNotified('req-1', 'teams', 'activity-1');
    t.broker.decide('req-1', viaToken('bob'), 'ask', 'Why this table?');
    t.broker.answer('req-1', 'It is a copy');
    t.broker.decide('req-1', viaToken('bob'), 'approve', 'ok');
    t.broker.decide('req-1', viaToken('dave'), 'approve', 'me too');
    t.broker.decide('req-1', viaToken('carol'), 'approve', '');
    t.broker.consume('req-1', 'a'.repeat(64));
    expect(t.audit.getRequest('req-1')?.events.map((e) => e.type)).toEqual([
      'call.intent',
      'approval.requested',
      'approval.notified',
      'approval.question',
      'approval.answer',
      'approval.decision',
      'approval.refused',
      'approval.decision',
      'approval.approved',
      'approval.executing',
    ]);
    expect(t.audit.verify()).toMatchObject({ ok: true });
  });
});
