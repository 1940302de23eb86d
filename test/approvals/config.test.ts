// The config sections for approvals (reviewers, groups, approvals, review): their defaults, durations in ms, and
// errors that point at the line and say what to fix.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { hashToken } from '../../src/approvals/index.js';
import { parseConfig } from '../../src/config/load.js';
import { WardenError } from '../../src/errors.js';

const OPTIONS = { source: 'warden.yaml', baseDir: '/srv/warden' };
const HASH = hashToken('bob-token');

/** Config text from lines, after a minimal valid head (lines 1-4), so line numbers can be read off the test. */
const yaml = (...lines: string[]) =>
  `${['principal: alice', 'policies: [p.yaml]', 'servers:', '  fs: { command: npx }', ...lines].join('\n')}\n`;

function parseError(text: string): string[] {
  try {
    parseConfig(text, {}, OPTIONS);
  } catch (error) {
    if (error instanceof WardenError && error.code === 'CONFIG_INVALID') return error.message.split('\n');
    throw error;
  }
  throw new Error('expected parseConfig to throw');
}

describe('approval config', () => {
  it('reads reviewers, groups, approval timings (as ms) and the review service', () => {
    const config = parseConfig(
      yaml(
        'reviewers:',
        '  bob:',
        '    name: Bob Builder',
        '    email: bob@example.com',
        '    entraObjectId: 11111111-2222-3333-4444-555555555555',
        `    tokenHash: ${HASH}`,
        '  carol.c@corp: { email: carol@example.com }',
        'groups:',
        '  dba: [bob, carol.c@corp]',
        'approvals:',
        '  defaultTimeout: 30m',
        '  holdLimits: { claude-ai: 50s }',
        '  heartbeat: 2000',
        '  poll: 100ms',
        '  maxHeldCalls: 20',
        '  collectGrace: 5m',
        'review: { port: 0, inProcess: true }',
      ),
      {},
      OPTIONS,
    );
    expect(config.reviewers).toEqual({
      bob: {
        name: 'Bob Builder',
        email: 'bob@example.com',
        entraObjectId: '11111111-2222-3333-4444-555555555555',
        tokenHash: HASH,
      },
      'carol.c@corp': { email: 'carol@example.com' },
    });
    expect(config.groups).toEqual({ dba: ['bob', 'carol.c@corp'] });
    expect(config.approvals).toEqual({
      defaultTimeout: 1_800_000,
      defaultReviewers: [],
      holdLimits: { default: 300_000, 'claude-ai': 50_000 },
      heartbeat: 2_000,
      poll: 100,
      reviewServiceGrace: 3_000,
      maxHeldCalls: 20,
      collectGrace: 300_000,
    });
    expect(config.review).toEqual({ host: '127.0.0.1', port: 0, inProcess: true });
  });

  it('fills in defaults when the sections are absent, and takes an Entra object id for the principal', () => {
    const config = parseConfig(
      yaml().replace('principal: alice', 'principal: { id: alice, entraObjectId: aaaa-bbbb }'),
      {},
      OPTIONS,
    );
    expect(config.principal).toEqual({ id: 'alice', entraObjectId: 'aaaa-bbbb' });
    expect(config.reviewers).toEqual({});
    expect(config.groups).toEqual({});
    expect(config.approvals).toEqual({
      defaultTimeout: 900_000,
      defaultReviewers: [],
      holdLimits: { default: 300_000, 'claude-ai': 50_000 },
      heartbeat: 5_000,
      poll: 200,
      reviewServiceGrace: 3_000,
      maxHeldCalls: 100,
      collectGrace: 60_000,
    });
    expect(config.review).toEqual({ host: '127.0.0.1', port: 3978, inProcess: false });
  });

  it('names a group member who is not a reviewer', () => {
    expect(
      parseError(yaml('reviewers:', '  bob: { email: bob@example.com }', 'groups:', '  dba: [bob, zed]')),
    ).toEqual([
      'warden.yaml:8:14: groups.dba[1]: "zed" is not a reviewer; define it under reviewers: (defined: bob)',
    ]);
  });

  it('rejects a tokenHash that is not sha256:<64 hex>, and says how to make one', () => {
    expect(parseError(yaml('reviewers:', '  bob: { tokenHash: "bob-token" }'))).toEqual([
      "warden.yaml:6:21: reviewers.bob.tokenHash: expected sha256: followed by 64 lowercase hex digits, the hash of the reviewer's API token (`warden review token --reviewer <id>` prints both); never the token itself",
    ]);
  });

  it('rejects two reviewers with the same tokenHash', () => {
    expect(
      parseError(yaml('reviewers:', `  bob: { tokenHash: "${HASH}" }`, `  eve: { tokenHash: "${HASH}" }`)),
    ).toEqual([
      `warden.yaml:7:21: reviewers.eve.tokenHash: is the same as reviewer "bob"'s; every reviewer needs their own token`,
    ]);
  });

  it('reserves the server name warden for its own tools, also under mcpServers', () => {
    expect(parseError(yaml('  warden: { command: npx }'))).toEqual([
      'warden.yaml:5:11: servers.warden: the server name "warden" is reserved (Warden\'s own tools are warden__*); rename this server',
    ]);
    const aliased = yaml('  Warden: { command: npx }').replace('servers:', 'mcpServers:');
    expect(parseError(aliased)).toEqual([
      'warden.yaml:5:11: mcpServers.Warden: the server name "Warden" is reserved (Warden\'s own tools are Warden__*); rename this server',
    ]);
  });

  it('rejects malformed reviewer ids, empty groups, bad durations and unknown keys, each on its line', () => {
    expect(
      parseError(
        yaml(
          'reviewers:',
          '  "bob smith": {}',
          '  carol: { emial: carol@example.com }',
          'groups:',
          '  empty: []',
          'approvals:',
          '  defaultTimeout: 15 minutes',
          '  poll: 0',
          '  holdLimits: { claude-ai: 0s }',
          '  maxHeldCalls: 2.5',
          'review: { port: 70000 }',
        ),
      ),
    ).toEqual([
      'warden.yaml:6:3: reviewers["bob smith"]: not a valid reviewer id: use letters, digits, _, ., @ and - (at most 64 characters)',
      'warden.yaml:7:12: reviewers.carol: unknown key "emial" (did you mean "email"?)',
      'warden.yaml:9:10: groups.empty: a group needs at least one reviewer',
      'warden.yaml:11:19: approvals.defaultTimeout: expected a duration such as 30s, 15m, 2h, or a whole number of milliseconds (how long reviewers have to decide)',
      'warden.yaml:12:9: approvals.poll: must be longer than 0',
      'warden.yaml:13:28: approvals.holdLimits.claude-ai: must be longer than 0 and at most 7 days',
      'warden.yaml:14:17: approvals.maxHeldCalls: must be a whole number',
      'warden.yaml:15:17: review.port: must be at most 65535',
    ]);
  });

  it("examples/warden.yaml's approval block is valid once uncommented", () => {
    const file = fileURLToPath(new URL('../../examples/warden.yaml', import.meta.url));
    const lines = readFileSync(file, 'utf8').split('\n');
    const start = lines.indexOf('# reviewers:');
    expect(start).toBeGreaterThan(0);
    const uncommented = [
      ...lines.slice(0, start),
      ...lines.slice(start).map((line) => (line.startsWith('# ') ? line.slice(2) : line === '#' ? '' : line)),
    ].join('\n');
    const config = parseConfig(uncommented, {}, { source: file, baseDir: path.dirname(file) });
    expect(config.reviewers.bob).toMatchObject({ email: 'bob@example.com', tokenHash: expect.any(String) });
    expect(config.groups).toEqual({ dba: ['bob', 'carol'] });
    expect(config.approvals.holdLimits).toEqual({ default: 300_000, 'claude-ai': 50_000 });
    expect(config.review).toEqual({ host: '127.0.0.1', port: 3978, inProcess: false });
  });
});
