// The Teams bot over HTTP, end to end: real teams-ai and botbuilder in a real review service, activities posted to
// `POST /api/messages` as Teams posts them, and a Bot Connector stand-in recording what the bot sends back. The bot
// runs in local-only mode (no app id); its JWT checks are covered by security.test.ts.
import { openAuditStore } from '../../src/audit/index.js';
import { describe, expect, test } from 'vitest';
import { startReviewService } from '../../src/approvals/review-service.js';
import { teamsChannel } from '../../src/approvals/teams/factory.js';
import { openTeamsConversationStore } from '../../src/approvals/teams/conversations.js';
import { MAX_CARD_BYTES } from '../../src/approvals/teams/cards.js';
import { WardenError } from '../../src/errors.js';
import {
  DBA_CHANNEL,
  OPS_CHAT,
  OTHER_TENANT,
  PEOPLE,
  TENANT,
  cardAction,
  dbaChannel,
  eventually,
  membersAddedActivity,
  messageActivity,
  useBotBed,
  type BotBed,
  type Person,
  type Place,
} from './bot-helpers.js';
import { startConnectorStandIn, type RecordedCall } from './connector-standin.js';

const bed = useBotBed();

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** Every action on a card, wherever it sits, and the texts it shows. */
function actionsOf(card: Json): Json[] {
  return JSON.stringify(card).includes('"Action.Execute"') ? (card.actions ?? []) : [];
}
const textOf = (card: Json): string => JSON.stringify(card);

/** Registers the dba channel for group dba (as bob), and returns where it is. */
async function registerDba(b: BotBed): Promise<Place> {
  const place = dbaChannel(b.connector.serviceUrl);
  const answer = await b.post(messageActivity(place, PEOPLE.bob, 'register dba'));
  expect(answer.status).toBe(200);
  return place;
}

/** The card the stand-in received for a request (once recorded): the post, the card and what a click must carry. */
async function postedCard(b: BotBed, requestId: string) {
  const post = await eventually(() =>
    b.connector
      .callsOf('sendToConversation')
      .find((c) => c.body?.attachments?.[0]?.content?.refresh?.action?.data?.requestId === requestId),
  );
  const card = post.body.attachments[0].content;
  // The review service records the post once the Bot Connector answered; clicks are checked against that record.
  await eventually(() =>
    b.gateway.notifications(requestId).some((n) => n.channel === 'teams') ? true : undefined,
  );
  return {
    post,
    card,
    activityId: String(post.response.id),
    data: card.refresh.action.data as { requestId: string; nonce: string },
  };
}

/** Clicks a button on the card (or refreshes it) as `who`. */
async function click(
  b: BotBed,
  place: Place,
  who: Person,
  verb: string,
  posted: { activityId: string; data: Record<string, unknown> },
  extra: Record<string, unknown> = {},
) {
  return b.post(
    cardAction(place, who, { verb, data: { ...posted.data, ...extra }, cardActivityId: posted.activityId }),
  );
}

/** Card updates (PUT) of one posted activity so far. */
function updatesOf(b: BotBed, activityId: string): RecordedCall[] {
  return b.connector.callsOf('updateActivity').filter((c) => c.activityId === activityId);
}

const lastCard = (calls: RecordedCall[]): Json => calls.at(-1)?.body?.attachments?.[0]?.content;

describe('registering a conversation', () => {
  test('"register dba" from a member of dba stores the channel for dba and confirms in the chat', async () => {
    const b = await bed();
    const place = dbaChannel(b.connector.serviceUrl);
    const message = messageActivity(place, PEOPLE.bob, 'register dba');
    const answer = await b.post(message);

    expect(answer.status).toBe(200);
    const [reply] = b.connector.callsOf('replyToActivity');
    expect(reply?.body).toMatchObject({
      type: 'message',
      text: 'Warden will post approval requests for group dba here.',
      replyToId: message.id,
    });
    const store = openTeamsConversationStore(b.config.database, { readonly: true });
    try {
      expect(store.list()).toMatchObject([
        {
          group: 'dba',
          tenantId: TENANT,
          registeredBy: `bob (${PEOPLE.bob.aadObjectId})`,
          reference: {
            channelId: 'msteams',
            serviceUrl: b.connector.serviceUrl,
            // The channel, not the thread of the message: each card starts its own thread.
            conversation: { id: DBA_CHANNEL, tenantId: TENANT, conversationType: 'channel' },
            bot: { id: '28:warden-bot-id' },
          },
        },
      ]);
    } finally {
      store.close();
    }
    const audit = openAuditStore(b.config.database, { readonly: true });
    try {
      const registered = [...audit.events()].filter((e) => e.type === 'teams.conversation_registered');
      expect(registered.map((e) => e.data)).toMatchObject([
        { group: 'dba', conversationId: DBA_CHANNEL, tenantId: TENANT, reviewerId: 'bob' },
      ]);
    } finally {
      audit.close();
    }
  });

  test('adding the bot to a group chat registers it for every group, when a reviewer adds it', async () => {
    const b = await bed();
    const chat: Place = {
      conversationId: OPS_CHAT,
      conversationType: 'groupChat',
      serviceUrl: b.connector.serviceUrl,
      tenantId: TENANT,
    };
    expect((await b.post(membersAddedActivity(chat, PEOPLE.dave))).status).toBe(200);

    expect(b.connector.callsOf('replyToActivity').at(-1)?.body.text).toBe(
      'Warden will post approval requests here for every group without a conversation of its own.',
    );
    const store = openTeamsConversationStore(b.config.database, { readonly: true });
    try {
      expect(store.get('*')?.reference.conversation.id).toBe(OPS_CHAT);
    } finally {
      store.close();
    }
    // So a request for group dba, which has no conversation of its own, goes to the chat.
    const request = b.createRequest();
    const { post } = await postedCard(b, request.id);
    expect(post.conversationId).toBe(OPS_CHAT);
  });

  test('refuses "register" from someone who is not a reviewer, or for a group they are not in, or that does not exist', async () => {
    const b = await bed();
    const place = dbaChannel(b.connector.serviceUrl);
    await b.post(messageActivity(place, PEOPLE.mallory, 'register dba'));
    await b.post(messageActivity(place, PEOPLE.dave, 'register dba'));
    await b.post(messageActivity(place, PEOPLE.bob, 'register nosuch'));

    expect(b.connector.callsOf('replyToActivity').map((c) => c.body.text)).toEqual([
      'Only a Warden reviewer can register a conversation (your Entra object id is not under reviewers: in the config). Nothing was registered.',
      'Only a member of group dba can register it here. Nothing was registered.',
      'There is no group "nosuch" in Warden\'s config (groups: dba, ops). Nothing was registered.',
    ]);
    const store = openTeamsConversationStore(b.config.database, { readonly: true });
    try {
      expect(store.list()).toEqual([]);
    } finally {
      store.close();
    }
  });
});

describe('posting the card', () => {
  test("posts an Adaptive Card for a pending request to its group's conversation, and records where", async () => {
    const b = await bed();
    await registerDba(b);
    const request = b.createRequest();
    const { post, card, activityId, data } = await postedCard(b, request.id);

    expect(post.method).toBe('POST');
    expect(post.path).toBe(`/v3/conversations/${DBA_CHANNEL}/activities`);
    expect(post.body.attachments[0].contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(card).toMatchObject({ type: 'AdaptiveCard', version: '1.5' });
    expect(textOf(card)).toContain('drop');
    // Everyone sees a read-only card; Teams fetches the buttons for the reviewers (not alice, the requester).
    expect(actionsOf(card)).toEqual([]);
    expect(card.refresh.userIds).toEqual([
      `8:orgid:${PEOPLE.bob.aadObjectId}`,
      `8:orgid:${PEOPLE.carol.aadObjectId}`,
    ]);
    expect(Object.keys(data).sort()).toEqual(['nonce', 'requestId']);
    const notice = b.gateway.notifications(request.id).find((n) => n.channel === 'teams');
    expect(notice).toMatchObject({
      messageId: activityId,
      details: { conversationId: DBA_CHANNEL, serviceUrl: b.connector.serviceUrl, nonce: data.nonce },
    });
  });

  test('keeps the card under the size limit whatever the arguments', async () => {
    const b = await bed();
    await registerDba(b);
    const huge = Object.fromEntries(
      Array.from({ length: 200 }, (_, i) => [`column_${i}`, 'x'.repeat(5_000)]),
    );
    const request = b.createRequest({ argsRedacted: huge });
    const { post } = await postedCard(b, request.id);
    expect(Buffer.byteLength(JSON.stringify(post.body.attachments[0].content))).toBeLessThanOrEqual(
      MAX_CARD_BYTES,
    );
  });

  test('fails the request closed, with the reason, when no conversation is registered for its reviewers', async () => {
    const b = await bed();
    const request = b.createRequest();
    const failed = await eventually(() => {
      const now = b.gateway.get(request.id);
      return now?.status === 'failed' ? now : undefined;
    });
    expect(failed.outcomeReason).toBe(
      'could not notify reviewers on teams: no Teams conversation is registered for group dba or "*": add the bot to the reviewers\' team or chat and send it "register dba", or name one under teams.conversations',
    );
    expect(b.connector.calls).toEqual([]);
  });

  test('posts to a conversation named in the config', async () => {
    const b = await bed({
      teams: `  conversations:\n    dba: { serviceUrl: "{serviceUrl}", conversationId: "19:configured@thread.tacv2", tenantId: ${TENANT} }`,
    });
    const request = b.createRequest();
    const { post } = await postedCard(b, request.id);
    expect(post.conversationId).toBe('19:configured@thread.tacv2');
  });
});

describe('deciding in the card', () => {
  test('gives reviewers the buttons on refresh and everyone else the read-only card', async () => {
    const b = await bed();
    const place = await registerDba(b);
    const request = b.createRequest();
    const posted = await postedCard(b, request.id);

    const forBob = await click(b, place, PEOPLE.bob, 'warden.refresh', posted);
    expect(forBob.status).toBe(200);
    expect(forBob.json.type).toBe('application/vnd.microsoft.card.adaptive');
    expect(actionsOf(forBob.json.value).map((a: Json) => a.verb)).toEqual([
      'warden.approve',
      'warden.reject',
      'warden.ask',
    ]);
    for (const action of actionsOf(forBob.json.value)) expect(action.data).toEqual(posted.data);

    const forMallory = await click(b, place, PEOPLE.mallory, 'warden.refresh', posted);
    expect(forMallory.json.type).toBe('application/vnd.microsoft.card.adaptive');
    expect(actionsOf(forMallory.json.value)).toEqual([]);
  });

  test('approve: the request is approved, a waiting gateway sees it, and the card is replaced for everyone', async () => {
    const b = await bed();
    const place = await registerDba(b);
    const request = b.createRequest();
    const posted = await postedCard(b, request.id);

    const answer = await click(b, place, PEOPLE.bob, 'warden.approve', posted, { comment: 'go ahead' });

    expect(answer.status).toBe(200);
    expect(answer.json.type).toBe('application/vnd.microsoft.card.adaptive');
    expect(actionsOf(answer.json.value)).toEqual([]);
    expect(textOf(answer.json.value)).toContain('Approved by Bob Builder');
    // The gateway holding the call polls the database: it sees the approval.
    const approved = await eventually(() =>
      b.gateway.get(request.id)?.status === 'approved' ? b.gateway.get(request.id) : undefined,
    );
    expect(approved?.decisions).toMatchObject([
      {
        reviewerId: 'bob',
        decision: 'approve',
        comment: 'go ahead',
        identity: { kind: 'entraObjectId', value: PEOPLE.bob.aadObjectId, channel: 'teams' },
      },
    ]);
    expect(b.gateway.consume(request.id, request.argsHash)).toBe(true);
    // Replaced for all: a PUT of the posted activity with the final card, no buttons, no refresh.
    const updates = updatesOf(b, posted.activityId);
    expect(updates[0]).toMatchObject({
      method: 'PUT',
      path: `/v3/conversations/${DBA_CHANNEL};messageid=${posted.activityId}/activities/${posted.activityId}`,
      status: 200,
    });
    const final = lastCard(updates);
    expect(actionsOf(final)).toEqual([]);
    expect(final.refresh).toBeUndefined();
    expect(textOf(final)).toContain('Approved by Bob Builder');
  });

  test('reject with a reason: the request is rejected with it, and the card says so', async () => {
    const b = await bed();
    const place = await registerDba(b);
    const request = b.createRequest();
    const posted = await postedCard(b, request.id);

    const answer = await click(b, place, PEOPLE.carol, 'warden.reject', posted, {
      comment: 'not during business hours',
    });

    expect(answer.json.type).toBe('application/vnd.microsoft.card.adaptive');
    expect(b.gateway.get(request.id)).toMatchObject({
      status: 'rejected',
      outcomeReason: 'rejected by Carol: not during business hours',
    });
    const final = await eventually(() => lastCard(updatesOf(b, posted.activityId)));
    expect(textOf(final)).toContain('Rejected by Carol');
    expect(textOf(final)).toContain('not during business hours');
  });

  test('reject without a reason is refused, to the clicker only, and changes nothing', async () => {
    const b = await bed();
    const place = await registerDba(b);
    const request = b.createRequest();
    const posted = await postedCard(b, request.id);

    const answer = await click(b, place, PEOPLE.carol, 'warden.reject', posted, { comment: '  ' });

    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({
      statusCode: 200,
      type: 'application/vnd.microsoft.activity.message',
      value: 'Not done: a rejection needs a reason (comment), so the agent can adapt. Nothing was changed.',
    });
    expect(b.gateway.get(request.id)).toMatchObject({ status: 'pending', version: request.version });
    expect(b.connector.callsOf('updateActivity')).toEqual([]);
  });

  test("ask: the question is stored, the agent's answer reaches the card", async () => {
    const b = await bed();
    const place = await registerDba(b);
    const request = b.createRequest();
    const posted = await postedCard(b, request.id);

    const asked = await click(b, place, PEOPLE.bob, 'warden.ask', posted, { comment: 'which environment?' });

    // Still pending: bob gets his card back, with the buttons and his question.
    expect(actionsOf(asked.json.value).length).toBe(3);
    expect(textOf(asked.json.value)).toContain('which environment?');
    expect(b.gateway.get(request.id)?.messages).toMatchObject([
      { kind: 'question', author: 'bob', text: 'which environment?' },
    ]);
    expect(b.gateway.answer(request.id, 'staging, not production').ok).toBe(true);
    const updated = await eventually(() => {
      const card = lastCard(updatesOf(b, posted.activityId));
      return card && textOf(card).includes('staging, not production') ? card : undefined;
    });
    expect(textOf(updated)).toContain('which environment?');
    expect(b.gateway.get(request.id)?.status).toBe('pending');
  });

  test('refuses a click by someone who is not a reviewer of the request, only to them, and changes nothing', async () => {
    const b = await bed();
    const place = await registerDba(b);
    const request = b.createRequest();
    const posted = await postedCard(b, request.id);

    const stranger = await click(b, place, PEOPLE.mallory, 'warden.approve', posted);
    const otherGroup = await click(b, place, PEOPLE.dave, 'warden.approve', posted);

    expect(stranger.json).toMatchObject({
      type: 'application/vnd.microsoft.activity.message',
      value:
        'Not done: you are not a Warden reviewer (your Entra object id is not under reviewers: in the config). Nothing was changed.',
    });
    expect(otherGroup.json).toMatchObject({
      type: 'application/vnd.microsoft.activity.message',
      value: 'Not done: dave is not a reviewer of req-1 (reviewers: bob, carol). Nothing was changed.',
    });
    expect(b.gateway.get(request.id)).toMatchObject({ status: 'pending', version: request.version });
    expect(b.connector.callsOf('updateActivity')).toEqual([]);
    // Both attempts are in the audit log.
    expect(
      b
        .events(request.id)
        .filter((e) => e.type === 'approval.refused')
        .map((e) => e.data),
    ).toMatchObject([
      { reviewerId: `teams:${PEOPLE.mallory.aadObjectId}`, channel: 'teams', code: 'forbidden' },
      { reviewerId: 'dave', channel: 'teams', code: 'forbidden' },
    ]);
  });

  test('refuses the requester approving their own request (separation of duties)', async () => {
    const b = await bed();
    const place = await registerDba(b);
    const request = b.createRequest();
    const posted = await postedCard(b, request.id);

    const answer = await click(b, place, PEOPLE.alice, 'warden.approve', posted);

    expect(answer.json.value).toBe(
      'Not done: you asked for this call, so someone else must decide it (separation of duties). Nothing was changed.',
    );
    expect(b.gateway.get(request.id)?.status).toBe('pending');
  });

  test('a double click is refused as already decided', async () => {
    const b = await bed();
    const place = await registerDba(b);
    const request = b.createRequest();
    const posted = await postedCard(b, request.id);

    const [first, second] = await Promise.all([
      click(b, place, PEOPLE.bob, 'warden.approve', posted),
      click(b, place, PEOPLE.bob, 'warden.approve', posted),
    ]);

    const answers = [first, second].map((a) => a.json);
    expect(answers.filter((a) => a.type === 'application/vnd.microsoft.card.adaptive')).toHaveLength(1);
    const refused = answers.find((a) => a.type === 'application/vnd.microsoft.activity.message');
    expect(refused?.value).toMatch(/^Not done: already approved by bob at .+\. Nothing was changed\.$/);
    expect(b.gateway.get(request.id)?.decisions).toHaveLength(1);
  });

  test("refuses a click whose nonce is not the card's, and one for a request not posted there", async () => {
    const b = await bed();
    const place = await registerDba(b);
    const request = b.createRequest();
    const posted = await postedCard(b, request.id);

    const forged = await click(b, place, PEOPLE.bob, 'warden.approve', posted, { nonce: 'guessed-nonce' });
    const elsewhere = await b.post(
      cardAction({ ...place, conversationId: '19:another-channel@thread.tacv2' }, PEOPLE.bob, {
        verb: 'warden.approve',
        data: posted.data,
        cardActivityId: posted.activityId,
      }),
    );

    for (const answer of [forged, elsewhere]) {
      expect(answer.json).toEqual({
        statusCode: 200,
        type: 'application/vnd.microsoft.activity.message',
        value:
          'Not done: this card does not match an approval request Warden posted here. Nothing was changed.',
      });
    }
    expect(b.gateway.get(request.id)).toMatchObject({ status: 'pending', decisions: [] });
  });
});

describe('keeping the card current', () => {
  test('replaces the card when the request expires', async () => {
    const b = await bed();
    await registerDba(b);
    const request = b.createRequest({ timeoutMs: 1_200 });
    const posted = await postedCard(b, request.id);

    const final = await eventually(() => {
      const card = lastCard(updatesOf(b, posted.activityId));
      return card && textOf(card).includes('Expired') ? card : undefined;
    });
    expect(actionsOf(final)).toEqual([]);
    expect(b.gateway.get(request.id)?.status).toBe('expired');
  });
});

describe('security', () => {
  test("with an app id, gets the bot's token from the login endpoint and sends it with its posts", async () => {
    const appId = '0b07b07b-0000-4000-8000-000000000001';
    const b = await bed({
      localOnly: false,
      connector: { requireToken: true },
      teams: [
        `  appId: ${appId}`,
        '  appPassword: s3cret-for-tests',
        '  endpoints: { login: "{login}" }',
        '  conversations:',
        `    dba: { serviceUrl: "{serviceUrl}", conversationId: "19:configured@thread.tacv2", tenantId: ${TENANT} }`,
      ].join('\n'),
    });
    const request = b.createRequest();
    const { post } = await postedCard(b, request.id);

    const [token] = b.connector.callsOf('token');
    expect(token).toMatchObject({
      method: 'POST',
      path: `/${TENANT}/oauth2/v2.0/token`,
      body: {
        grant_type: 'client_credentials',
        client_id: appId,
        client_secret: 's3cret-for-tests',
        scope: 'https://api.botframework.com/.default',
      },
      status: 200,
    });
    expect(post.status).toBe(201);
    expect(post.headers.authorization).toBe(`Bearer ${b.connector.tokens[0]}`);
    // The card's sender is the bot, as Teams knows it.
    expect(post.body.from).toMatchObject({ id: `28:${appId}` });
  });

  test('refuses an activity whose serviceUrl is not allow-listed, and sends nothing there', async () => {
    const b = await bed();
    const elsewhere = await startConnectorStandIn();
    try {
      // Same machine, other name: `localhost` is not in teams.serviceUrls ([127.0.0.1]).
      const place = dbaChannel(elsewhere.serviceUrl.replace('127.0.0.1', 'localhost'));
      const answer = await b.post(messageActivity(place, PEOPLE.bob, 'register dba'));
      expect(answer.status).toBe(403);
      expect(answer.json.error.message).toMatch(/serviceUrl host localhost is not in teams.serviceUrls/);
      expect(elsewhere.calls).toEqual([]);
      const store = openTeamsConversationStore(b.config.database, { readonly: true });
      try {
        expect(store.list()).toEqual([]);
      } finally {
        store.close();
      }
    } finally {
      await elsewhere.close();
    }
  });

  test('refuses activities from another tenant, or naming none', async () => {
    const b = await bed();
    const place = await registerDba(b);
    const request = b.createRequest();
    const posted = await postedCard(b, request.id);
    const before = b.connector.calls.length;

    const foreign = await click(
      b,
      { ...place, tenantId: OTHER_TENANT },
      PEOPLE.bob,
      'warden.approve',
      posted,
    );
    const anonymous = await click(b, { ...place, tenantId: undefined }, PEOPLE.bob, 'warden.approve', posted);

    expect(foreign.status).toBe(403);
    expect(foreign.json.error.message).toBe(`tenant ${OTHER_TENANT} is not the configured tenant`);
    expect(anonymous.status).toBe(403);
    expect(b.gateway.get(request.id)).toMatchObject({ status: 'pending', decisions: [] });
    expect(b.connector.calls.length).toBe(before);
  });

  test('refuses to start in local-only mode on an address other machines can reach', async () => {
    const b = await bed();
    await expect(
      startReviewService({ config: b.config, channels: [teamsChannel], host: '0.0.0.0', port: 0 }),
    ).rejects.toThrow(WardenError);
    await expect(
      startReviewService({ config: b.config, channels: [teamsChannel], host: '0.0.0.0', port: 0 }),
    ).rejects.toThrow(/teams.localOnly is true but the review service would listen on 0.0.0.0/);
  });
});
