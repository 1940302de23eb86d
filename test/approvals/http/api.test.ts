// The reviewers' HTTP API over real HTTP, against a started review service, a real broker and a SQLite file, with
// requests created through a second broker connection as a gateway process creates them.
import { describe, expect, test } from 'vitest';
import { call, eventually, TOKENS, useTestBed } from './helpers.js';

const bed = useTestBed();

describe('authentication', () => {
  test('answers 401 with a Bearer challenge when the Authorization header is missing', async () => {
    const service = await bed().start();
    const answer = await call(service, 'GET', '/api/requests');
    expect(answer.status).toBe(401);
    expect(answer.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(answer.json.error.code).toBe('unauthorized');
    expect(answer.json.error.message).toMatch(/Authorization: Bearer <token>/);
  });

  test('answers 401 for a malformed header and for a token no reviewer has', async () => {
    const service = await bed().start();
    const malformed = await call(service, 'GET', '/api/requests', {
      headers: { authorization: `Basic ${Buffer.from('bob:pw').toString('base64')}` },
    });
    expect(malformed.status).toBe(401);
    expect(malformed.headers['www-authenticate']).toMatch(/^Bearer .*invalid_request/);

    const unknown = await call(service, 'GET', '/api/requests', { token: 'not-a-reviewer-token' });
    expect(unknown.status).toBe(401);
    expect(unknown.headers['www-authenticate']).toMatch(/^Bearer .*invalid_token/);
    expect(unknown.json.error.message).toMatch(/matches no reviewer/);
  });

  test('serves /healthz without a token', async () => {
    const service = await bed().start();
    const answer = await call(service, 'GET', '/healthz');
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ ok: true });
  });
});

describe('GET /api/requests', () => {
  test("lists only the caller's requests, newest first, with what a reviewer needs to decide", async () => {
    const service = await bed().start();
    const first = bed().createRequest({ reviewerSpecs: ['group:dba'] });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const second = bed().createRequest({ reviewerSpecs: ['user:bob'] });
    const other = bed().createRequest({ reviewerSpecs: ['group:ops'] });

    const bob = await call(service, 'GET', '/api/requests?status=pending', { token: TOKENS.bob });
    expect(bob.status).toBe(200);
    expect(bob.json.requests.map((r: { id: string }) => r.id)).toEqual([second.id, first.id]);
    const view = bob.json.requests[1];
    expect(view).toMatchObject({
      id: first.id,
      status: 'pending',
      server: 'db',
      tool: 'drop_table',
      exposedName: 'db__drop_table',
      risk: 'high',
      rules: ['db-destructive'],
      reason: 'drops a production table',
      arguments: { table: 'customers', password: '[REDACTED]' },
      argsHash: 'f'.repeat(64),
      requester: { id: 'alice@example.com', email: 'alice@example.com' },
      agent: { name: 'claude-code', version: '1.0.0' },
      reviewers: ['bob', 'carol'],
      quorum: 1,
      approvals: 0,
      createdAt: first.createdAt,
      expiresAt: first.expiresAt,
      decisions: [],
      messages: [],
    });
    expect(view).not.toHaveProperty('gatewayPid');

    const carol = await call(service, 'GET', '/api/requests', { token: TOKENS.carol });
    expect(carol.json.requests.map((r: { id: string }) => r.id)).toEqual([first.id]);
    const dave = await call(service, 'GET', '/api/requests', { token: TOKENS.dave });
    expect(dave.json.requests.map((r: { id: string }) => r.id)).toEqual([other.id]);
  });

  test('filters by status and refuses an unknown status with 422', async () => {
    const service = await bed().start();
    const approved = bed().createRequest();
    const pending = bed().createRequest();
    await call(service, 'POST', `/api/requests/${approved.id}/decision`, {
      token: TOKENS.bob,
      body: { decision: 'approve' },
    });

    const onlyPending = await call(service, 'GET', '/api/requests?status=pending', { token: TOKENS.bob });
    expect(onlyPending.json.requests.map((r: { id: string }) => r.id)).toEqual([pending.id]);
    const onlyApproved = await call(service, 'GET', '/api/requests?status=approved', { token: TOKENS.bob });
    expect(onlyApproved.json.requests.map((r: { id: string }) => r.id)).toEqual([approved.id]);

    const bad = await call(service, 'GET', '/api/requests?status=waiting', { token: TOKENS.bob });
    expect(bad.status).toBe(422);
    expect(bad.json.error).toEqual({
      code: 'invalid_request',
      message: expect.stringMatching(/^status: expected one of pending, approved, .* got "waiting"$/),
    });
  });
});

describe('GET /api/requests/:id', () => {
  test('answers 404 for an unknown id and 403 for a request the caller does not review', async () => {
    const service = await bed().start();
    const request = bed().createRequest({ reviewerSpecs: ['user:bob'] });

    const unknown = await call(service, 'GET', '/api/requests/nope', { token: TOKENS.bob });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.code).toBe('not_found');

    const notTheirs = await call(service, 'GET', `/api/requests/${request.id}`, { token: TOKENS.dave });
    expect(notTheirs.status).toBe(403);
    expect(notTheirs.json.error.message).toMatch(/dave is not a reviewer of request/);

    const mine = await call(service, 'GET', `/api/requests/${request.id}`, { token: TOKENS.bob });
    expect(mine.status).toBe(200);
    expect(mine.json.request.id).toBe(request.id);
  });
});

describe('POST /api/requests/:id/decision', () => {
  test('approve answers 200 with the approved request, recorded with the token hash and channel', async () => {
    const bedNow = bed();
    const service = await bedNow.start();
    const request = bedNow.createRequest();
    const answer = await call(service, 'POST', `/api/requests/${request.id}/decision`, {
      token: TOKENS.bob,
      body: { decision: 'approve', comment: 'looks right' },
    });
    expect(answer.status).toBe(200);
    expect(answer.json.effect).toBe('approved');
    expect(answer.json.request).toMatchObject({
      id: request.id,
      status: 'approved',
      approvals: 1,
      decisions: [{ reviewerId: 'bob', decision: 'approve', comment: 'looks right', channel: 'http-api' }],
    });
    expect(JSON.stringify(answer.json)).not.toContain('sha256:');

    const decided = bedNow.events(request.id).find((e) => e.type === 'approval.decision');
    expect(decided?.data).toMatchObject({
      reviewerId: 'bob',
      channel: 'http-api',
      identity: { kind: 'token', value: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) },
    });
    expect(JSON.stringify(bedNow.events(request.id))).not.toContain(TOKENS.bob);
  });

  test('reject without a comment answers 422 and leaves the request pending', async () => {
    const service = await bed().start();
    const request = bed().createRequest();
    const answer = await call(service, 'POST', `/api/requests/${request.id}/decision`, {
      token: TOKENS.bob,
      body: { decision: 'reject' },
    });
    expect(answer.status).toBe(422);
    expect(answer.json.error.code).toBe('invalid_request');
    const after = await call(service, 'GET', `/api/requests/${request.id}`, { token: TOKENS.bob });
    expect(after.json.request.status).toBe('pending');
  });

  test('reject with a reason answers 200 and the request is rejected with that reason', async () => {
    const service = await bed().start();
    const request = bed().createRequest();
    const answer = await call(service, 'POST', `/api/requests/${request.id}/decision`, {
      token: TOKENS.carol,
      body: { decision: 'reject', comment: 'not during business hours' },
    });
    expect(answer.status).toBe(200);
    expect(answer.json.request.status).toBe('rejected');
    expect(answer.json.request.outcomeReason).toMatch(/not during business hours/);
  });

  test("ask answers 200, keeps the request pending, and shows the question and the agent's answer", async () => {
    const bedNow = bed();
    const service = await bedNow.start();
    const request = bedNow.createRequest();
    const asked = await call(service, 'POST', `/api/requests/${request.id}/decision`, {
      token: TOKENS.bob,
      body: { decision: 'ask', comment: 'which environment?' },
    });
    expect(asked.status).toBe(200);
    expect(asked.json.effect).toBe('asked');
    bedNow.gateway().answer(request.id, 'staging only');

    const shown = await call(service, 'GET', `/api/requests/${request.id}`, { token: TOKENS.carol });
    expect(shown.json.request.status).toBe('pending');
    expect(shown.json.request.messages).toMatchObject([
      { kind: 'question', author: 'bob', text: 'which environment?' },
      { kind: 'answer', author: 'agent', text: 'staging only' },
    ]);
  });

  test('refuses self-approval with 403 and records the refused attempt', async () => {
    const bedNow = bed();
    const service = await bedNow.start();
    const request = bedNow.createRequest({ reviewerSpecs: ['user:alice', 'user:bob'] });
    const answer = await call(service, 'POST', `/api/requests/${request.id}/decision`, {
      token: TOKENS.alice,
      body: { decision: 'approve' },
    });
    expect(answer.status).toBe(403);
    expect(answer.json.error.code).toBe('forbidden');
    const state = await call(service, 'GET', `/api/requests/${request.id}`, { token: TOKENS.bob });
    expect(state.json.request).toMatchObject({ status: 'pending', approvals: 0 });
    expect(bedNow.events(request.id).find((e) => e.type === 'approval.refused')?.data).toMatchObject({
      reviewerId: 'alice',
      channel: 'http-api',
      code: 'forbidden',
    });
  });

  test('refuses a second decision with 409 once the first decided it', async () => {
    const service = await bed().start();
    const request = bed().createRequest();
    const first = await call(service, 'POST', `/api/requests/${request.id}/decision`, {
      token: TOKENS.bob,
      body: { decision: 'approve' },
    });
    expect(first.status).toBe(200);
    const second = await call(service, 'POST', `/api/requests/${request.id}/decision`, {
      token: TOKENS.carol,
      body: { decision: 'reject', comment: 'too late?' },
    });
    expect(second.status).toBe(409);
    expect(second.json.error.code).toBe('conflict');
    const state = await call(service, 'GET', `/api/requests/${request.id}`, { token: TOKENS.carol });
    expect(state.json.request.status).toBe('approved');
  });

  test('refuses a decision after expiry with 409; the request is expired', async () => {
    const service = await bed().start();
    const request = bed().createRequest({ timeoutMs: 50 });
    await new Promise((resolve) => setTimeout(resolve, 80));
    const answer = await call(service, 'POST', `/api/requests/${request.id}/decision`, {
      token: TOKENS.bob,
      body: { decision: 'approve' },
    });
    expect(answer.status).toBe(409);
    expect(answer.json.error.message).toMatch(/expired/);
    const state = await call(service, 'GET', `/api/requests/${request.id}`, { token: TOKENS.bob });
    expect(state.json.request.status).toBe('expired');
  });

  test('answers 404 for a decision on an unknown request', async () => {
    const service = await bed().start();
    const answer = await call(service, 'POST', '/api/requests/nope/decision', {
      token: TOKENS.bob,
      body: { decision: 'approve' },
    });
    expect(answer.status).toBe(404);
  });

  test('refuses a body that is not JSON with 415', async () => {
    const service = await bed().start();
    const request = bed().createRequest();
    const answer = await call(service, 'POST', `/api/requests/${request.id}/decision`, {
      token: TOKENS.bob,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'decision=approve',
    });
    expect(answer.status).toBe(415);
    expect(answer.json.error.code).toBe('unsupported_media_type');
  });

  test('refuses a body over 64 KiB with 413, with or without Content-Length', async () => {
    const service = await bed().start();
    const request = bed().createRequest();
    const body = { decision: 'ask', comment: 'x'.repeat(70 * 1024) };
    for (const chunked of [false, true]) {
      const answer = await call(service, 'POST', `/api/requests/${request.id}/decision`, {
        token: TOKENS.bob,
        body,
        chunked,
      });
      expect(answer.status).toBe(413);
      expect(answer.json.error.code).toBe('payload_too_large');
    }
    const state = await call(service, 'GET', `/api/requests/${request.id}`, { token: TOKENS.bob });
    expect(state.json.request.messages).toEqual([]);
  });

  test('refuses bodies that do not match the schema with 422 naming the field', async () => {
    const service = await bed().start();
    const request = bed().createRequest();
    const post = (body: unknown) =>
      call(service, 'POST', `/api/requests/${request.id}/decision`, { token: TOKENS.bob, body });

    const wrongDecision = await post({ decision: 'maybe' });
    expect(wrongDecision.status).toBe(422);
    expect(wrongDecision.json.error.message).toBe(
      'decision: expected "approve", "reject" or "ask", got "maybe"',
    );
    const missing = await post({ comment: 'hi' });
    expect(missing.json.error.message).toMatch(/^decision: missing/);
    const wrongComment = await post({ decision: 'approve', comment: 42 });
    expect(wrongComment.status).toBe(422);
    expect(wrongComment.json.error.message).toMatch(/^comment: expected a string/);
    const extra = await post({ decision: 'approve', approver: 'bob' });
    expect(extra.status).toBe(422);
    expect(extra.json.error.message).toMatch(/unknown field\(s\) "approver"/);
    const notObject = await post([1, 2]);
    expect(notObject.status).toBe(422);
    const notJson = await post('{"decision": ');
    expect(notJson.status).toBe(400);
    expect(notJson.json.error.code).toBe('invalid_json');

    const state = await call(service, 'GET', `/api/requests/${request.id}`, { token: TOKENS.bob });
    expect(state.json.request.status).toBe('pending');
  });
});

describe('routing', () => {
  test('answers 404 for an unknown route and 405 with Allow for a wrong method', async () => {
    const service = await bed().start();
    const unknown = await call(service, 'GET', '/api/nothing', { token: TOKENS.bob });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.code).toBe('not_found');

    const wrongMethod = await call(service, 'DELETE', '/api/requests/req-1', { token: TOKENS.bob });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.allow).toBe('GET');
    expect(wrongMethod.json.error.code).toBe('method_not_allowed');
  });
});

describe('a gateway waiting on the same database', () => {
  test('sees a decision made over HTTP within 500 ms', async () => {
    const bedNow = bed();
    const service = await bedNow.start();
    const request = bedNow.createRequest();
    const gateway = bedNow.gateway();
    expect(gateway.get(request.id)?.status).toBe('pending');

    const posted = Date.now();
    const answer = await call(service, 'POST', `/api/requests/${request.id}/decision`, {
      token: TOKENS.bob,
      body: { decision: 'approve' },
    });
    expect(answer.status).toBe(200);
    const seenAfter = await eventually(() =>
      gateway.get(request.id)?.status === 'approved' ? Date.now() - posted : undefined,
    );
    expect(seenAfter).toBeLessThan(500);
    expect(gateway.consume(request.id, request.argsHash)).toBe(true);
  });
});
