// Who may talk to the Teams bot. With an app id configured, botbuilder checks every request's Bot Framework JWT
// against OpenID metadata and signing keys, here served by a local stand-in (openid-standin.ts) through
// `teams.endpoints`, so the real checks run: a token the Bot Connector would send passes and its activity is handled;
// anything else gets 401 and nothing happens. Each refused token differs from a valid one in one thing only, named in
// the test. Then the tenant: a valid token does not make another tenant's activity acceptable. Last, the start-up
// rules: no app id needs `localOnly`, which needs a loopback address and says so loudly on stderr.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test, vi } from 'vitest';
import { startReviewService } from '../../src/approvals/review-service.js';
import { teamsChannel } from '../../src/approvals/teams/factory.js';
import { openTeamsConversationStore } from '../../src/approvals/teams/conversations.js';
import { runReview } from '../../src/cli/review.js';
import { loadConfigFile, parseConfig } from '../../src/config/load.js';
import { WardenError } from '../../src/errors.js';
import { createLogger } from '../../src/log.js';
import { call, type HttpAnswer } from '../approvals/http/helpers.js';
import {
  DBA_CHANNEL,
  OTHER_TENANT,
  PEOPLE,
  TENANT,
  cardAction,
  dbaChannel,
  eventually,
  messageActivity,
  useBotBed,
  type BotBed,
  type Place,
} from './bot-helpers.js';
import { BOT_FRAMEWORK_ISSUER, startOpenIdStandIn, type OpenIdStandIn } from './openid-standin.js';

const APP_ID = '5eca7e57-0000-4000-8000-00000000b07a';
const OTHER_APP_ID = '07e2b07a-0000-4000-8000-0000000000ff';

let openid: OpenIdStandIn;
beforeAll(async () => {
  openid = await startOpenIdStandIn();
});
afterAll(() => openid.close());

const bed = useBotBed();

/** Everything botbuilder and the bot said about the requests of a test: why a token was refused is in here. */
let diagnostics: string[] = [];
beforeEach(() => {
  diagnostics = [];
  // botbuilder reports authentication failures with console.error; keep them as evidence instead of noise.
  vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
    diagnostics.push(args.map((a) => (a instanceof Error ? `${a.name}: ${a.message}` : String(a))).join(' '));
  });
});
afterEach(() => {
  vi.restoreAllMocks();
});

/**
 * A review service whose bot has an app id, takes the signing keys from the stand-in, gets its own token from the
 * Bot Connector stand-in (which insists on it), and posts dba's cards to the dba channel.
 */
async function securedBot(): Promise<BotBed> {
  return bed({
    localOnly: false,
    connector: { requireToken: true },
    teams: [
      `  appId: ${APP_ID}`,
      '  appPassword: s3cret-for-tests',
      '  endpoints:',
      `    openIdMetadata: "${openid.metadataUrl}"`,
      `    emulatorOpenIdMetadata: "${openid.metadataUrl}"`,
      '    login: "{login}"',
      '  conversations:',
      `    dba: { serviceUrl: "{serviceUrl}", conversationId: "${DBA_CHANNEL}", tenantId: ${TENANT} }`,
    ].join('\n'),
    service: { logger: createLogger('debug', { write: (text: string) => diagnostics.push(text) }) },
  });
}

/** Posts an activity to `/api/messages` as the Bot Connector does, with `Authorization: Bearer <token>`. */
function postWithToken(
  b: BotBed,
  activity: Record<string, unknown>,
  token: string | undefined,
): Promise<HttpAnswer> {
  return call(b.service, 'POST', '/api/messages', {
    body: activity,
    ...(token === undefined ? {} : { token }),
  });
}

/** A token as the Bot Connector would sign it for this bot and this activity's serviceUrl. */
function validToken(b: BotBed): string {
  return openid.channelToken({ appId: APP_ID, serviceUrl: b.connector.serviceUrl });
}

function registrations(b: BotBed): unknown[] {
  const store = openTeamsConversationStore(b.config.database, { readonly: true });
  try {
    return store.list();
  } finally {
    store.close();
  }
}

/**
 * The request was refused before the bot did anything: nothing was sent to Teams (not even a token request), nothing
 * registered, then a 401. `reason` must appear in the answer or in what botbuilder and the bot logged, so the test
 * knows the token was refused for the reason it was built for.
 */
function expectUnauthorized(b: BotBed, answer: HttpAnswer, reason: RegExp): void {
  expect(b.connector.calls, 'the bot sent something to Teams for a refused request').toEqual([]);
  expect(registrations(b)).toEqual([]);
  expect([answer.text, ...diagnostics].join('\n')).toMatch(reason);
  expect(answer.status, `answered ${answer.status} ${answer.text}`).toBe(401);
}

describe('the control case: a token the Bot Connector would send', () => {
  test('is accepted: "register ops" is handled and confirmed in the chat, with the bot\'s own token', async () => {
    const b = await securedBot();
    const place = dbaChannel(b.connector.serviceUrl);
    const message = messageActivity(place, PEOPLE.dave, 'register ops');

    const answer = await postWithToken(b, message, validToken(b));

    expect(answer.status).toBe(200);
    // botbuilder really fetched the metadata and the keys from the stand-in to check the token.
    expect(openid.requests).toEqual(
      expect.arrayContaining([new URL(openid.metadataUrl).pathname, new URL(openid.jwksUrl).pathname]),
    );
    const [reply] = b.connector.callsOf('replyToActivity');
    expect(reply).toMatchObject({
      status: 201,
      body: { text: 'Warden will post approval requests for group ops here.', replyToId: message.id },
    });
    expect(reply?.headers.authorization).toBe(`Bearer ${b.connector.tokens[0]}`);
    expect(registrations(b)).toMatchObject([{ group: 'ops', tenantId: TENANT }]);
  });
});

describe('tokens that are refused with 401, and nothing happens', () => {
  /** A message that would register the channel, were it accepted. */
  const registerMessage = (b: BotBed, overrides: Record<string, unknown> = {}) => ({
    ...messageActivity(dbaChannel(b.connector.serviceUrl), PEOPLE.bob, 'register dba'),
    ...overrides,
  });

  test('no Authorization header', async () => {
    const b = await securedBot();
    const answer = await postWithToken(b, registerMessage(b), undefined);
    expectUnauthorized(b, answer, /Unauthorized Access\. Request is not authorized/);
  });

  test('signed by a key the metadata does not publish (an unknown kid)', async () => {
    const b = await securedBot();
    const token = openid.channelToken(
      { appId: APP_ID, serviceUrl: b.connector.serviceUrl },
      { key: 'unknown', kid: 'key-of-someone-else' },
    );
    const answer = await postWithToken(b, registerMessage(b), token);
    expectUnauthorized(b, answer, /Signing Key could not be retrieved/);
  });

  test("signed by an unknown key under a published key's kid (a forged signature)", async () => {
    const b = await securedBot();
    const token = openid.channelToken(
      { appId: APP_ID, serviceUrl: b.connector.serviceUrl },
      { key: 'unknown' },
    );
    const answer = await postWithToken(b, registerMessage(b), token);
    expectUnauthorized(b, answer, /invalid signature/);
  });

  test('not signed at all (alg "none")', async () => {
    const b = await securedBot();
    const token = openid.channelToken({ appId: APP_ID, serviceUrl: b.connector.serviceUrl }, { alg: 'none' });
    const answer = await postWithToken(b, registerMessage(b), token);
    expectUnauthorized(b, answer, /signature is required|not in allowed list/);
  });

  test('for another bot (the audience is another app id)', async () => {
    const b = await securedBot();
    const token = openid.channelToken({ appId: OTHER_APP_ID, serviceUrl: b.connector.serviceUrl });
    const answer = await postWithToken(b, registerMessage(b), token);
    expectUnauthorized(b, answer, new RegExp(`Invalid AppId passed on token: ${OTHER_APP_ID}`));
  });

  test('expired (ten minutes ago, beyond the five minutes of clock skew botbuilder allows)', async () => {
    const b = await securedBot();
    const issuedAt = Math.floor(Date.now() / 1000) - 3600 - 600;
    const token = openid.channelToken({ appId: APP_ID, serviceUrl: b.connector.serviceUrl, now: issuedAt });
    const answer = await postWithToken(b, registerMessage(b), token);
    expectUnauthorized(b, answer, /The token has expired/);
  });

  test('from an issuer other than the Bot Framework', async () => {
    const b = await securedBot();
    const token = openid.channelToken({
      appId: APP_ID,
      serviceUrl: b.connector.serviceUrl,
      issuer: `${BOT_FRAMEWORK_ISSUER}.evil.example`,
    });
    const answer = await postWithToken(b, registerMessage(b), token);
    expectUnauthorized(b, answer, /No valid identity/);
  });

  test("issued for another serviceUrl than the activity's (a token replayed to steer the bot's replies)", async () => {
    const b = await securedBot();
    const token = openid.channelToken({ appId: APP_ID, serviceUrl: 'https://smba.trafficmanager.net/emea/' });
    const answer = await postWithToken(b, registerMessage(b), token);
    expectUnauthorized(b, answer, /ServiceUrl claim do not match/);
  });

  test('signed by a key endorsed for Teams, on an activity from another channel', async () => {
    const b = await securedBot();
    const answer = await postWithToken(b, registerMessage(b, { channelId: 'webchat' }), validToken(b));
    expectUnauthorized(b, answer, /Could not validate endorsement for key/);
  });

  test('a bot-to-bot (skill) token: another app calling this bot', async () => {
    const b = await securedBot();
    const now = Math.floor(Date.now() / 1000);
    // As Entra issues it to another app (azp) for this bot (aud), from the Bot Framework's own tenant.
    const token = openid.signToken({
      ver: '2.0',
      iss: 'https://login.microsoftonline.com/d6d49420-f39b-4df7-a1dc-d59a935871db/v2.0',
      aud: APP_ID,
      azp: OTHER_APP_ID,
      nbf: now - 5,
      exp: now + 3600,
    });
    const answer = await postWithToken(b, registerMessage(b), token);
    expectUnauthorized(b, answer, /Skill Claims require validation/);
  });
});

describe('the tenant, with a valid token', () => {
  test('refuses a message from another tenant: nothing is registered or answered', async () => {
    const b = await securedBot();
    const foreign: Place = { ...dbaChannel(b.connector.serviceUrl), tenantId: OTHER_TENANT };

    const answer = await postWithToken(
      b,
      messageActivity(foreign, PEOPLE.bob, 'register dba'),
      validToken(b),
    );

    expect(answer.status).toBe(403);
    expect(answer.json.error.message).toBe(`tenant ${OTHER_TENANT} is not the configured tenant`);
    expect(registrations(b)).toEqual([]);
    expect(b.connector.callsOf('replyToActivity')).toEqual([]);
    expect(b.connector.callsOf('sendToConversation')).toEqual([]);
  });

  test('refuses a card click from another tenant; the same click from this tenant decides', async () => {
    const b = await securedBot();
    const request = b.createRequest();
    const post = await eventually(() =>
      b.connector
        .callsOf('sendToConversation')
        .find((c) => c.body?.attachments?.[0]?.content?.refresh?.action?.data?.requestId === request.id),
    );
    const posted = {
      activityId: String(post.response.id),
      data: post.body.attachments[0].content.refresh.action.data as Record<string, unknown>,
    };
    const approve = (place: Place) =>
      cardAction(place, PEOPLE.bob, {
        verb: 'warden.approve',
        data: { ...posted.data, comment: 'ok' },
        cardActivityId: posted.activityId,
      });
    const callsBefore = b.connector.calls.length;

    const foreign = await postWithToken(
      b,
      approve({ ...dbaChannel(b.connector.serviceUrl), tenantId: OTHER_TENANT }),
      validToken(b),
    );

    expect(foreign.status).toBe(403);
    expect(foreign.json.error.message).toBe(`tenant ${OTHER_TENANT} is not the configured tenant`);
    expect(b.gateway.get(request.id)).toMatchObject({ status: 'pending', decisions: [] });
    expect(b.events(request.id).map((e) => e.type)).not.toContain('approval.decided');
    expect(b.connector.calls.length).toBe(callsBefore);

    // The control: only the tenant differed.
    const home = await postWithToken(b, approve(dbaChannel(b.connector.serviceUrl)), validToken(b));
    expect(home.status).toBe(200);
    expect(b.gateway.get(request.id)?.status).toBe('approved');
  });
});

describe('starting without an app id', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  /** A warden.yaml in a temp folder with the given `teams:` lines; logs at the default level. */
  function configFile(teams: string): string {
    const dir = mkdtempSync(path.join(tmpdir(), 'warden-teams-security-'));
    dirs.push(dir);
    writeFileSync(path.join(dir, 'policy.yaml'), 'rules: []\n');
    const file = path.join(dir, 'warden.yaml');
    writeFileSync(
      file,
      [
        'principal: alice@example.com',
        'database: warden.db',
        'policies: [policy.yaml]',
        'servers: {}',
        'review: { host: 127.0.0.1, port: 0 }',
        'teams:',
        teams,
        '',
      ].join('\n'),
    );
    return file;
  }

  test('refuses a config with an empty app id and no localOnly, naming both ways out', () => {
    const file = configFile(`  appId: \${MICROSOFT_APP_ID:-}\n  tenantId: ${TENANT}`);
    expect(() => loadConfigFile(file, {})).toThrow(WardenError);
    expect(() => loadConfigFile(file, {})).toThrow(/appId.*without an app id.*localOnly: true/s);
  });

  test('refuses to start the bot with an empty app id and no localOnly, even from a config built in code', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'warden-teams-security-'));
    dirs.push(dir);
    const valid = parseConfig(
      `principal: alice@example.com\npolicies: [p.yaml]\nservers: {}\nteams: { appId: ${APP_ID}, appPassword: x, tenantId: ${TENANT} }\n`,
      {},
      { source: 'in-code', baseDir: dir },
    );
    // What the schema refuses, as a program embedding Warden could still build it.
    const config = { ...valid, teams: { ...valid.teams!, appId: '', localOnly: false } };
    await expect(
      startReviewService({ config, channels: [teamsChannel], host: '127.0.0.1', port: 0 }),
    ).rejects.toThrow(/teams\.appId is empty.*localOnly: true/);
  });

  test('with localOnly, refuses an address other machines can reach', async () => {
    const file = configFile(`  localOnly: true\n  tenantId: ${TENANT}`);
    const stderr: string[] = [];
    const stdout: string[] = [];
    await expect(
      runReview(
        { config: file, host: '0.0.0.0', port: '0' },
        {
          stdout: { write: (t: string) => stdout.push(t) },
          stderr: { write: (t: string) => stderr.push(t) },
          waitForStop: () => Promise.resolve('test'),
        },
      ),
    ).rejects.toThrow(/local-only mode binds loopback only.*127\.0\.0\.1/);
    expect(stdout).toEqual([]);
  });

  test('with localOnly on loopback, starts and warns loudly on stderr (never stdout)', async () => {
    const file = configFile(`  localOnly: true\n  tenantId: ${TENANT}`);
    const stderr: string[] = [];
    const stdout: string[] = [];
    let stop: (why: string) => void = () => undefined;
    const running = runReview(
      { config: file, port: '0' },
      {
        stdout: { write: (t: string) => stdout.push(t) },
        stderr: { write: (t: string) => stderr.push(t) },
        waitForStop: () => new Promise((resolve) => (stop = resolve)),
      },
    );
    try {
      await eventually(() => (stderr.join('').includes('listening on') ? true : undefined));
    } finally {
      stop('test over');
      await running;
    }
    const warning = stderr.find((line) => /without authentication/i.test(line));
    expect(warning, `no warning among:\n${stderr.join('')}`).toBeDefined();
    expect(warning).toMatch(/^warden: warn: /);
    expect(warning).toMatch(/127\.0\.0\.1/);
    expect(stdout).toEqual([]);
  });
});
