// Specification of the Teams approval cards: each state's JSON (snapshots, fixed clock and ids), valid against the
// official Adaptive Cards 1.5 schema, buttons only for reviewers of a pending request, action data that is only the
// request id and the nonce, refresh users bounded, the size bound whatever the arguments, and agent text that cannot
// render as markdown.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv } from 'ajv';
import { describe, expect, test } from 'vitest';
import {
  buildApprovalCard,
  cardSizeBytes,
  MAX_CARD_BYTES,
  MAX_REFRESH_USERS,
  type AdaptiveCard,
  type CardContext,
} from '../../src/approvals/teams/cards.js';
import type { ApprovalDecision, ApprovalMessage, ApprovalRequestView } from '../../src/approvals/types.js';
import { useBrokers, viaToken } from '../approvals/helpers.js';

const NOW = new Date('2025-03-01T09:02:00.000Z');
const BOB_OID = '11111111-2222-3333-4444-555555555555';
const CAROL_OID = '22222222-3333-4444-5555-666666666666';
const HASH = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';

const CONTEXT: CardContext = {
  now: NOW,
  nonce: 'nonce-7Hq2xZ',
  reviewerEntraIds: [BOB_OID, CAROL_OID],
  reviewers: [
    { id: 'bob', name: 'Bob Builder' },
    { id: 'carol', name: 'Carol' },
  ],
};

/** A pending request for `db__drop_table`, as the broker's view returns it. */
function requestView(overrides: Partial<ApprovalRequestView> = {}): ApprovalRequestView {
  return {
    id: 'req_V1StGXR8Z5jdHi6B',
    status: 'pending',
    server: 'db',
    tool: 'drop_table',
    exposedName: 'db__drop_table',
    argsHash: HASH,
    argsRedacted: {
      table: 'customers',
      cascade: true,
      options: { timeoutMs: 5000, tags: ['prod', 'eu'] },
      password: '[REDACTED]',
    },
    risk: 'critical',
    reason: 'dropping a table needs a DBA',
    rules: ['db-drop'],
    policyVersion: 'policy-v1',
    requester: { id: 'alice', name: 'Alice', email: 'alice@example.com' },
    agent: { name: 'claude-code', version: '1.2.3' },
    reviewerSpecs: ['group:dba'],
    reviewers: ['bob', 'carol'],
    quorum: 1,
    timeoutMs: 15 * 60_000,
    createdAt: '2025-03-01T09:00:00.000Z',
    expiresAt: '2025-03-01T09:15:00.000Z',
    gatewaySession: 'session-1',
    gatewayPid: 4242,
    version: 1,
    decisions: [],
    messages: [],
    approvals: 0,
    ...overrides,
  };
}

function decision(reviewerId: string, kind: ApprovalDecision['decision'], comment: string, at: string) {
  return {
    requestId: 'req_V1StGXR8Z5jdHi6B',
    reviewerId,
    identity: { reviewerId, kind: 'entraObjectId', value: BOB_OID, channel: 'teams' },
    decision: kind,
    comment,
    at,
  } satisfies ApprovalDecision;
}

function message(kind: ApprovalMessage['kind'], author: string, text: string, at: string): ApprovalMessage {
  return { requestId: 'req_V1StGXR8Z5jdHi6B', kind, author, text, at };
}

/** Every state a card can show, with the context it is built in. */
const STATES: Record<string, { request: ApprovalRequestView; context: CardContext }> = {
  'pending (reviewer view)': { request: requestView(), context: CONTEXT },
  'pending (read-only view)': { request: requestView(), context: { ...CONTEXT, readOnly: true } },
  approved: {
    request: requestView({
      status: 'approved',
      decisions: [decision('bob', 'approve', '', '2025-03-01T09:04:00.000Z')],
      approvals: 1,
      decidedAt: '2025-03-01T09:04:00.000Z',
      outcomeReason: 'approved by Bob Builder',
      consumedAt: '2025-03-01T09:04:01.000Z',
      version: 3,
    }),
    context: { ...CONTEXT, now: new Date('2025-03-01T09:04:02.000Z'), ranInMs: 120 },
  },
  rejected: {
    request: requestView({
      status: 'rejected',
      decisions: [decision('bob', 'reject', 'not during business hours', '2025-03-01T09:03:00.000Z')],
      decidedAt: '2025-03-01T09:03:00.000Z',
      outcomeReason: 'rejected by Bob Builder: not during business hours',
      version: 2,
    }),
    context: CONTEXT,
  },
  'asked, with the answer': {
    request: requestView({
      decisions: [decision('bob', 'ask', 'Which environment is this?', '2025-03-01T09:01:00.000Z')],
      messages: [
        message('question', 'bob', 'Which environment is this?', '2025-03-01T09:01:00.000Z'),
        message('answer', 'agent', 'Staging only; production is untouched.', '2025-03-01T09:01:30.000Z'),
      ],
      version: 3,
    }),
    context: CONTEXT,
  },
  expired: {
    request: requestView({
      status: 'expired',
      decidedAt: '2025-03-01T09:15:00.000Z',
      outcomeReason: 'expired: no decision within 15m',
      version: 2,
    }),
    context: { ...CONTEXT, now: new Date('2025-03-01T09:15:05.000Z') },
  },
  cancelled: {
    request: requestView({
      status: 'cancelled',
      decidedAt: '2025-03-01T09:05:00.000Z',
      outcomeReason: 'cancelled by the agent while waiting for approval',
      version: 2,
    }),
    context: { ...CONTEXT, now: new Date('2025-03-01T09:05:01.000Z') },
  },
  abandoned: {
    request: requestView({
      status: 'abandoned',
      decidedAt: '2025-03-01T09:06:00.000Z',
      outcomeReason:
        'abandoned: the gateway holding the call (pid 4242, session session-1) is gone; it can never run',
      version: 2,
    }),
    context: { ...CONTEXT, now: new Date('2025-03-01T09:06:01.000Z') },
  },
  failed: {
    request: requestView({
      status: 'failed',
      decidedAt: '2025-03-01T09:00:10.000Z',
      outcomeReason: 'could not notify reviewers on teams: connect ECONNREFUSED',
      version: 2,
    }),
    context: CONTEXT,
  },
};

/** The official schema (draft-06, with a draft-04 style `id` that Ajv 8 wants as `$id`), compiled once. */
function compileCardSchema() {
  const file = new URL('../fixtures/adaptive-card-1.5.schema.json', import.meta.url);
  const { id, ...schema } = JSON.parse(readFileSync(file, 'utf8')) as { id: string } & Record<
    string,
    unknown
  >;
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addMetaSchema(createRequire(import.meta.url)('ajv/dist/refs/json-schema-draft-06.json') as object);
  ajv.addFormat('uri', (value: string) => URL.canParse(value));
  ajv.addFormat('uri-reference', true);
  return ajv.compile({ ...schema, $id: id });
}
const validateCard = compileCardSchema();

function expectValidCard(card: unknown): void {
  const valid = validateCard(card);
  expect(validateCard.errors ?? []).toEqual([]);
  expect(valid).toBe(true);
}

type Typed = { type: string } & Record<string, unknown>;

/** Every object with a `type` in the card, depth first (elements, facts' parents, actions, refresh). */
function typedObjects(value: unknown, found: Typed[] = []): Typed[] {
  if (Array.isArray(value)) for (const item of value) typedObjects(item, found);
  else if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if (typeof record.type === 'string') found.push(record as Typed);
    for (const item of Object.values(record)) typedObjects(item, found);
  }
  return found;
}

/** Every text a person reads on the card: TextBlock texts and fact titles and values. */
function texts(card: AdaptiveCard): string[] {
  return typedObjects(card.body).flatMap((element) => {
    if (element.type === 'TextBlock') return [element.text as string];
    if (element.type === 'FactSet') {
      return (element.facts as Array<{ title: string; value: string }>).flatMap((f) => [f.title, f.value]);
    }
    return [];
  });
}

function fact(card: AdaptiveCard, title: string): string | undefined {
  const facts = typedObjects(card.body)
    .filter((e) => e.type === 'FactSet')
    .flatMap((e) => e.facts as Array<{ title: string; value: string }>);
  return facts.find((f) => f.title === title)?.value;
}

describe('approval cards in every state', () => {
  for (const [state, { request, context }] of Object.entries(STATES)) {
    test(`${state}: matches its snapshot, passes the Adaptive Cards 1.5 schema, fits the size bound`, () => {
      const card = buildApprovalCard(request, context);
      expect(card).toMatchSnapshot();
      expectValidCard(card);
      expect(card.version).toBe('1.5');
      expect(card.$schema).toBe('http://adaptivecards.io/schemas/adaptive-card.json');
      expect(cardSizeBytes(card)).toBeLessThanOrEqual(MAX_CARD_BYTES);
    });
  }

  test('the schema check can fail: it rejects an unknown colour, a TextBlock without text and unknown properties', () => {
    const card = buildApprovalCard(requestView(), CONTEXT);
    const withColour = structuredClone(card) as unknown as { body: Array<Record<string, unknown>> };
    withColour.body[1] = { type: 'TextBlock', text: 'x', color: 'purple' };
    expect(validateCard(withColour)).toBe(false);
    expect(validateCard({ ...card, body: [{ type: 'TextBlock' }] })).toBe(false);
    expect(validateCard({ ...card, msteams: { width: 'Full' } })).toBe(false);
  });
});

describe('buttons and action data', () => {
  test('only the pending reviewer card has buttons: Approve, Reject and Ask for info, as Action.Execute', () => {
    for (const [state, { request, context }] of Object.entries(STATES)) {
      const card = buildApprovalCard(request, context);
      const inputs = typedObjects(card.body).filter(
        (e) => e.type.startsWith('Input.') || e.type === 'ActionSet',
      );
      const reviewerPending = request.status === 'pending' && context.readOnly !== true;
      if (!reviewerPending) {
        expect(card.actions, state).toBeUndefined();
        expect(inputs, state).toEqual([]);
        continue;
      }
      expect(card.actions?.map((a) => [a.type, a.verb, a.title])).toEqual([
        ['Action.Execute', 'warden.approve', 'Approve'],
        ['Action.Execute', 'warden.reject', 'Reject'],
        ['Action.Execute', 'warden.ask', 'Ask for info'],
      ]);
    }
  });

  test('Reject and Ask require the comment (isRequired with an error message); Approve does not send it', () => {
    const card = buildApprovalCard(requestView(), CONTEXT);
    const input = typedObjects(card.body).find((e) => e.type === 'Input.Text');
    expect(input).toMatchObject({ id: 'comment', isRequired: true, errorMessage: expect.any(String) });
    expect(card.actions?.map((a) => [a.verb, a.associatedInputs])).toEqual([
      ['warden.approve', 'none'],
      ['warden.reject', 'auto'],
      ['warden.ask', 'auto'],
    ]);
  });

  test('every Action.Execute, refresh included, carries exactly { requestId, nonce }', () => {
    for (const { request, context } of Object.values(STATES)) {
      const card = buildApprovalCard(request, context);
      for (const action of typedObjects(card).filter((e) => e.type === 'Action.Execute')) {
        expect(action.data).toStrictEqual({ requestId: 'req_V1StGXR8Z5jdHi6B', nonce: 'nonce-7Hq2xZ' });
      }
    }
  });

  test('pending cards, read-only or not, refresh for the reviewers; final cards do not refresh', () => {
    for (const [state, { request, context }] of Object.entries(STATES)) {
      const card = buildApprovalCard(request, context);
      if (request.status !== 'pending') {
        expect(card.refresh, state).toBeUndefined();
        continue;
      }
      expect(card.refresh).toEqual({
        action: {
          type: 'Action.Execute',
          verb: 'warden.refresh',
          data: { requestId: 'req_V1StGXR8Z5jdHi6B', nonce: 'nonce-7Hq2xZ' },
        },
        userIds: [`8:orgid:${BOB_OID}`, `8:orgid:${CAROL_OID}`],
      });
    }
  });

  test('refresh.userIds keeps the first 60 distinct reviewers, skips blanks and keeps ids that are already MRIs', () => {
    const many = Array.from(
      { length: 75 },
      (_, i) => `00000000-0000-0000-0000-${String(i).padStart(12, '0')}`,
    );
    const ids = buildApprovalCard(requestView(), { ...CONTEXT, reviewerEntraIds: many }).refresh?.userIds;
    expect(ids).toHaveLength(MAX_REFRESH_USERS);
    expect(ids?.[0]).toBe('8:orgid:00000000-0000-0000-0000-000000000000');
    expect(ids?.at(-1)).toBe('8:orgid:00000000-0000-0000-0000-000000000059');

    const mixed = [BOB_OID, ' ', BOB_OID.toUpperCase(), '29:1cgsv1oFLAoTflZ', ''];
    expect(
      buildApprovalCard(requestView(), { ...CONTEXT, reviewerEntraIds: mixed }).refresh?.userIds,
    ).toEqual([`8:orgid:${BOB_OID}`, '29:1cgsv1oFLAoTflZ']);
  });
});

describe('what the card says', () => {
  test('risk is a word and a colour: low good, medium accent, high warning, critical attention', () => {
    const colours = Object.fromEntries(
      ['low', 'medium', 'high', 'critical', 'unheard-of'].map((risk) => {
        const card = buildApprovalCard(requestView({ risk }), CONTEXT);
        const header = card.body[0] as { items: Array<{ text: string; color?: string }> };
        return [risk, `${header.items[0]?.text} / ${header.items[0]?.color}`];
      }),
    );
    expect(colours).toEqual({
      low: 'LOW RISK / good',
      medium: 'MEDIUM RISK / accent',
      high: 'HIGH RISK / warning',
      critical: 'CRITICAL RISK / attention',
      'unheard-of': 'UNHEARD-OF RISK / default',
    });
  });

  test('times are UTC with the date; pending cards also say them relative to now, final cards do not', () => {
    const card = buildApprovalCard(requestView(), CONTEXT);
    expect(fact(card, 'Asked')).toBe('09:00 UTC, 2025-03-01 (2m ago)');
    expect(fact(card, 'Expires')).toBe('09:15 UTC, 2025-03-01 (in 13m)');
    const approved = buildApprovalCard(STATES.approved!.request, STATES.approved!.context);
    expect(fact(approved, 'Asked')).toBe('09:00 UTC, 2025-03-01');
    expect(fact(approved, 'Ended')).toBe('09:04 UTC, 2025-03-01');
    expect(fact(approved, 'Expires')).toBeUndefined();
  });

  test('final cards lead with the outcome', () => {
    const headlines = Object.fromEntries(
      Object.entries(STATES)
        .filter(([, { request }]) => request.status !== 'pending')
        .map(([state, { request, context }]) => {
          const header = buildApprovalCard(request, context).body[0] as { items: Array<{ text: string }> };
          return [state, header.items.slice(2).map((item) => item.text)];
        }),
    );
    expect(headlines).toEqual({
      approved: ['Approved by Bob Builder at 09:04 UTC — ran in 120 ms'],
      rejected: ['Rejected by Bob Builder: not during business hours'],
      expired: ['Expired at 09:15 UTC', 'No decision within 15m'],
      cancelled: ['Cancelled by the agent at 09:05 UTC'],
      abandoned: [
        'Abandoned at 09:06 UTC',
        'The gateway holding the call \\(pid 4242, session session-1\\) is gone; it can never run',
      ],
      failed: ['Failed: could not notify reviewers on teams: connect ECONNREFUSED'],
    });
  });

  test('questions and answers are shown in order, and an open question says the agent has not answered yet', () => {
    const answered = texts(buildApprovalCard(STATES['asked, with the answer']!.request, CONTEXT));
    expect(answered).toContain('**Bob Builder asked** (09:01 UTC): Which environment is this?');
    expect(answered).toContain('**The agent answered** (09:01 UTC): Staging only; production is untouched.');
    const open = requestView({
      messages: [message('question', 'bob', 'Why now?', '2025-03-01T09:01:00.000Z')],
    });
    expect(texts(buildApprovalCard(open, CONTEXT))).toContain("Waiting for the agent's answer.");
  });

  test('arguments are a fact per top-level key, values as compact JSON, nested objects included', () => {
    const card = buildApprovalCard(requestView(), CONTEXT);
    expect(fact(card, 'table')).toBe('"customers"');
    expect(fact(card, 'options')).toBe('{"timeoutMs":5000,"tags":\\["prod","eu"\\]}');
    expect(fact(card, 'password')).toBe('"\\[REDACTED\\]"');
    expect(texts(card).join('\n')).toContain(`Arguments hash (sha256): ${HASH}`);
  });

  test('at most 25 arguments are listed, then how many more there are', () => {
    const args = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`key${i}`, i]));
    const card = buildApprovalCard(requestView({ argsRedacted: args }), CONTEXT);
    expect(fact(card, 'key24')).toBe('24');
    expect(fact(card, 'key25')).toBeUndefined();
    expect(texts(card).join('\n')).toContain('… and 15 more arguments not shown.');
  });

  test('markdown in arguments, tool, agent, reason and messages is neutralised: no link, no emphasis, no code', () => {
    const hostile =
      '[Approve here](https://evil.example/x) **now** `rm -rf` # big > quote _i_ \\[x](y) <https://a>';
    const card = buildApprovalCard(
      requestView({
        argsRedacted: { note: hostile, [hostile]: 1 },
        exposedName: hostile,
        tool: hostile,
        reason: hostile,
        agent: { name: hostile, version: hostile },
        messages: [message('question', 'bob', hostile, '2025-03-01T09:01:00.000Z')],
      }),
      CONTEXT,
    );
    expect(fact(card, 'note')).toBe(
      '"\\[Approve here\\]\\(https://evil.example/x\\) \\*\\*now\\*\\* \\`rm -rf\\` \\# big \\> quote \\_i\\_ ' +
        '\\\\\\\\\\[x\\]\\(y\\) \\<https://a\\>"',
    );
    for (const text of texts(card)) {
      expect(text).not.toMatch(/\]\(/);
      expect(text).not.toContain('[Approve here]');
    }
    expectValidCard(card);
  });
});

describe('the size bound', () => {
  function expectBounded(card: AdaptiveCard): string {
    expectValidCard(card);
    expect(cardSizeBytes(card)).toBeLessThanOrEqual(MAX_CARD_BYTES);
    return texts(card).join('\n');
  }

  test('a 1 MB argument is cut, with how much was left out', () => {
    const card = buildApprovalCard(requestView({ argsRedacted: { sql: 'x'.repeat(1_000_000) } }), CONTEXT);
    const shown = expectBounded(card);
    expect(fact(card, 'sql')).toBe(`"${'x'.repeat(299)}… (999702 more chars)`);
    expect(shown).toContain('Long values were shortened to fit the card.');
  });

  test('10,000 arguments show 25 and count the rest', () => {
    const args = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`key${i}`, `value ${i}`]));
    const shown = expectBounded(buildApprovalCard(requestView({ argsRedacted: args }), CONTEXT));
    expect(shown).toContain('… and 9975 more arguments not shown.');
  });

  test('arguments nested 100,000 levels deep are shown to 20 levels, without overflowing the stack', () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 100_000; i += 1) deep = { a: deep };
    const card = buildApprovalCard(requestView({ argsRedacted: { deep } }), CONTEXT);
    const shown = expectBounded(card);
    expect(fact(card, 'deep')).toBe(`${'{"a":'.repeat(20)}{…}${'}'.repeat(20)}`);
    expect(shown).toContain('Values nested deeper than 20 levels are shown as {…}.');
  });

  test('values that only grow when escaped are shortened further until the card fits', () => {
    const args = Object.fromEntries(
      Array.from({ length: 30 }, (_, i) => [`${'\u0001'.repeat(100)}${i}`, '\u0002[]'.repeat(20_000)]),
    );
    const card = buildApprovalCard(requestView({ argsRedacted: args }), CONTEXT);
    const shown = expectBounded(card);
    const facts = typedObjects(card.body).find(
      (e) => e.type === 'FactSet' && JSON.stringify(e).includes('\\u0002'),
    );
    expect((facts?.facts as unknown[]).length).toBeLessThan(25);
    expect(shown).toContain('Long values were shortened to fit the card.');
  });

  test('when everything is huge, the arguments give way to a note with their hash, and text is cut', () => {
    const huge = '\u0001[]'.repeat(4_000);
    const request = requestView({
      argsRedacted: Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`${huge}${i}`, huge])),
      exposedName: huge,
      tool: huge,
      server: huge,
      reason: huge,
      rules: Array.from({ length: 500 }, () => huge),
      reviewerSpecs: Array.from({ length: 500 }, () => huge),
      agent: { name: huge, version: huge },
      requester: { name: huge, email: huge },
      messages: Array.from({ length: 200 }, (_, i) =>
        message(
          i % 2 === 0 ? 'question' : 'answer',
          i % 2 === 0 ? huge : 'agent',
          huge,
          '2025-03-01T09:01:00.000Z',
        ),
      ),
    });
    const many = Array.from(
      { length: 200 },
      (_, i) => `00000000-0000-0000-0000-${String(i).padStart(12, '0')}`,
    );
    const card = buildApprovalCard(request, { ...CONTEXT, reviewerEntraIds: many });
    const shown = expectBounded(card);
    expect(shown).toContain(
      `Arguments too large to show on the card; hash ${HASH}. See them with: warden requests show req\\_V1StGXR8Z5jdHi6B`,
    );
    expect(shown).toContain('earlier messages not shown.');
    expect(card.actions).toHaveLength(3);
  });
});

describe('cards from what the broker records', () => {
  const open = useBrokers();

  test('a request rejected through the broker shows the reviewer and the reason; one approved shows who approved', () => {
    const { create, broker, clock } = open();
    create('req-reject');
    create('req-approve');
    clock.set('2025-03-01T09:03:00.000Z');
    expect(broker.decide('req-reject', viaToken('bob'), 'reject', 'use a migration').ok).toBe(true);
    expect(broker.decide('req-approve', viaToken('carol'), 'approve', '').ok).toBe(true);
    const context = { ...CONTEXT, now: clock.now() };

    const rejected = buildApprovalCard(broker.get('req-reject')!, context);
    expectValidCard(rejected);
    expect(texts(rejected)).toContain('Rejected by Bob Builder: use a migration');

    const approved = buildApprovalCard(broker.get('req-approve')!, context);
    expectValidCard(approved);
    expect(texts(approved)).toContain('Approved by Carol at 09:03 UTC');
    expect(fact(approved, 'Approvals')).toBe('1 of 1 (Carol)');
  });
});
