// Where cards go and where the bot may send its token: picking conversations for a request's reviewer groups, the
// service URL allow-list and the tenant check, the conversation store, and `warden teams conversations`.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, test } from 'vitest';
import { checkServiceUrl, checkTenant, isLoopbackHost } from '../../src/approvals/teams/config.js';
import {
  openTeamsConversationStore,
  pickConversations,
  type TeamsConversation,
} from '../../src/approvals/teams/conversations.js';
import { registerTeamsCommands } from '../../src/cli/teams.js';

const DEFAULT_HOSTS = ['smba.trafficmanager.net', '*.botframework.com'];

function conversation(
  group: string,
  id: string,
  source: TeamsConversation['source'] = 'registered',
): TeamsConversation {
  return {
    group,
    source,
    registeredBy: source === 'config' ? 'config' : 'bob',
    reference: {
      channelId: 'msteams',
      serviceUrl: 'https://smba.trafficmanager.net/emea/',
      conversation: { id },
    },
  };
}

describe('picking conversations for a request', () => {
  const known = new Map([
    ['dba', conversation('dba', '19:dba@thread.tacv2')],
    ['ops', conversation('ops', '19:ops@thread.tacv2')],
    ['*', conversation('*', '19:general@thread.tacv2')],
  ]);
  const lookup = (group: string) => known.get(group);
  const ids = (found: TeamsConversation[]) => found.map((c) => c.reference.conversation.id);

  test("uses each named group's conversation, once per conversation", () => {
    expect(ids(pickConversations(['group:dba', 'group:ops', 'group:dba'], lookup))).toEqual([
      '19:dba@thread.tacv2',
      '19:ops@thread.tacv2',
    ]);
  });

  test('falls back to "*" for a group without one, and for requests naming users', () => {
    expect(ids(pickConversations(['group:security'], lookup))).toEqual(['19:general@thread.tacv2']);
    expect(ids(pickConversations(['user:bob'], lookup))).toEqual(['19:general@thread.tacv2']);
    expect(ids(pickConversations(['group:dba', 'user:dave'], lookup))).toEqual([
      '19:dba@thread.tacv2',
      '19:general@thread.tacv2',
    ]);
  });

  test('finds nothing when neither the group nor "*" has a conversation', () => {
    expect(
      pickConversations(['group:security'], (group) => (group === 'dba' ? known.get('dba') : undefined)),
    ).toEqual([]);
  });
});

describe('the service URL allow-list', () => {
  test('accepts HTTPS service URLs on listed hosts and their subdomains for "*." entries', () => {
    expect(checkServiceUrl('https://smba.trafficmanager.net/emea/', DEFAULT_HOSTS)).toEqual({ ok: true });
    expect(checkServiceUrl('https://europe.webchat.botframework.com/', DEFAULT_HOSTS)).toEqual({ ok: true });
  });

  test('refuses other hosts, look-alikes, plain HTTP off loopback, and credentials in the URL', () => {
    const refused = (url: string, hosts = DEFAULT_HOSTS) => {
      const verdict = checkServiceUrl(url, hosts);
      return verdict.ok ? 'allowed' : verdict.reason;
    };
    expect(refused('https://evil.example.com/')).toBe(
      'serviceUrl host evil.example.com is not in teams.serviceUrls (smba.trafficmanager.net, *.botframework.com)',
    );
    expect(refused('https://botframework.com.evil.example/')).toMatch(/is not in teams.serviceUrls/);
    expect(refused('https://evilbotframework.com/')).toMatch(/is not in teams.serviceUrls/);
    expect(refused('http://smba.trafficmanager.net/emea/')).toBe(
      'serviceUrl http://smba.trafficmanager.net is not HTTPS',
    );
    expect(refused('https://user:pw@smba.trafficmanager.net/')).toMatch(/carries credentials/);
    expect(refused('not a url')).toMatch(/is not a URL/);
    expect(refused('http://127.0.0.1:3978/', ['127.0.0.1'])).toBe('allowed');
    expect(refused('http://localhost:3978/', ['127.0.0.1'])).toMatch(/is not in teams.serviceUrls/);
  });

  test('knows loopback addresses', () => {
    expect(['127.0.0.1', '127.9.9.9', '::1', '[::1]', 'localhost'].every(isLoopbackHost)).toBe(true);
    expect(['0.0.0.0', '10.0.0.1', '::', 'example.com'].some(isLoopbackHost)).toBe(false);
  });
});

describe('the tenant check', () => {
  const TENANT = '72F988BF-0000-4000-8000-000000000001';
  test('accepts activities naming only the configured tenant (case aside)', () => {
    expect(
      checkTenant(
        { channelData: { tenant: { id: TENANT.toLowerCase() } }, conversation: { tenantId: TENANT } },
        TENANT,
      ),
    ).toEqual({ ok: true });
  });

  test('refuses activities naming another tenant anywhere, or none', () => {
    const other = '0badbad0-0000-4000-8000-000000000002';
    expect(checkTenant({ channelData: { tenant: { id: other } } }, TENANT)).toEqual({
      ok: false,
      reason: `tenant ${other} is not the configured tenant`,
    });
    expect(
      checkTenant({ channelData: { tenant: { id: TENANT } }, conversation: { tenantId: other } }, TENANT).ok,
    ).toBe(false);
    expect(checkTenant({}, TENANT)).toEqual({ ok: false, reason: 'the activity names no tenant' });
  });
});

describe('warden teams conversations', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  function setUp() {
    dir = mkdtempSync(path.join(tmpdir(), 'warden-teams-cli-'));
    const configPath = path.join(dir, 'warden.yaml');
    writeFileSync(
      configPath,
      [
        'principal: alice',
        'database: warden.db',
        'policies: [policy.yaml]',
        'servers: {}',
        'reviewers: { bob: {} }',
        'groups: { dba: [bob], ops: [bob] }',
        'teams:',
        '  localOnly: true',
        '  conversations:',
        '    ops: { serviceUrl: "https://smba.trafficmanager.net/emea/", conversationId: "19:ops@thread.tacv2" }',
        '',
      ].join('\n'),
    );
    const store = openTeamsConversationStore(path.join(dir, 'warden.db'));
    for (const [group, id] of [
      ['dba', '19:dba@thread.tacv2'],
      ['ops', '19:ops-registered@thread.tacv2'],
    ] as const) {
      store.register({
        ...conversation(group, id),
        tenantId: 'tenant-1',
        registeredBy: 'bob (bbbb)',
        registeredAt: '2025-03-01T09:00:00.000Z',
      });
    }
    store.close();
    return configPath;
  }

  async function run(...args: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const program = new Command('warden').exitOverride();
    registerTeamsCommands(program, {
      stdout: { write: (t: string) => out.push(t) },
      stderr: { write: (t: string) => err.push(t) },
    });
    await program.parseAsync(['node', 'warden', ...args]);
    return { out: out.join(''), err: err.join('') };
  }

  test('lists configured and registered conversations, and which one each group uses', async () => {
    const configPath = setUp();
    const { out } = await run('teams', 'conversations', '-c', configPath);
    const lines = out.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^GROUP +IN USE +SOURCE +CONVERSATION +SERVICE URL +TENANT +REGISTERED BY +AT \(UTC\)$/,
    );
    expect(lines.slice(1).map((line) => line.split(/ {2,}/).slice(0, 4))).toEqual([
      ['ops', 'yes', 'config', '19:ops@thread.tacv2'],
      ['dba', 'yes', 'registered', '19:dba@thread.tacv2'],
      ['ops', 'no (config wins)', 'registered', '19:ops-registered@thread.tacv2'],
    ]);
  });

  test('--json prints one conversation per line, with its reference', async () => {
    const configPath = setUp();
    const { out } = await run(
      'teams',
      'conversations',
      '--json',
      '--db',
      path.join(path.dirname(configPath), 'warden.db'),
    );
    const rows = out
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(rows).toMatchObject([
      {
        group: 'dba',
        source: 'registered',
        inUse: true,
        reference: { conversation: { id: '19:dba@thread.tacv2' } },
      },
      { group: 'ops', source: 'registered', inUse: true },
    ]);
  });
});
