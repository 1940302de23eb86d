// Identities: token hashes compared in constant time, who counts as the same person, reviewer specs resolved, and the
// durations people read in reasons.
import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import {
  countPeople,
  findReviewer,
  formatDuration,
  hashToken,
  isSamePerson,
  matchTokenHash,
  resolveReviewers,
  reviewersFromConfig,
  type IdentityFields,
  type Reviewer,
} from '../../src/approvals/index.js';
import { GROUPS, REQUESTER, REVIEWERS } from './helpers.js';

const byId = new Map(REVIEWERS.map((r) => [r.id, r]));

describe('tokens', () => {
  test('hashToken is sha256: and the hex sha256 of the token', () => {
    const hex = createHash('sha256').update('s3cret-token').digest('hex');
    expect(hashToken('s3cret-token')).toBe(`sha256:${hex}`);
    expect(hashToken('s3cret-token')).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  test('matchTokenHash finds the reviewer whose stored hash matches, and nobody for other tokens', () => {
    expect(matchTokenHash('bob-token', REVIEWERS)?.id).toBe('bob');
    expect(matchTokenHash('carol-token', REVIEWERS)?.id).toBe('carol');
    expect(matchTokenHash('dave-token', REVIEWERS)).toBeUndefined();
    expect(matchTokenHash('', REVIEWERS)).toBeUndefined();
    // The stored hash itself is not a token.
    expect(matchTokenHash(hashToken('bob-token'), REVIEWERS)).toBeUndefined();
  });

  test('matchTokenHash matches nobody when two reviewers share a hash, or a stored hash is malformed', () => {
    const twins: Reviewer[] = [
      { id: 'one', tokenHash: hashToken('shared') },
      { id: 'two', tokenHash: hashToken('shared') },
      { id: 'bad', tokenHash: 'sha256:XYZ' },
    ];
    expect(matchTokenHash('shared', twins)).toBeUndefined();
    expect(matchTokenHash('XYZ', twins)).toBeUndefined();
  });
});

describe('same person', () => {
  test.each<[IdentityFields, string]>([
    [{ id: 'alice' }, 'id = id'],
    [{ id: 'ALICE@example.com' }, 'id = email'],
    [{ email: 'Alice' }, 'email = id'],
    [{ email: 'alice@EXAMPLE.com ' }, 'email = email'],
    [{ entraObjectId: 'AAAAAAAA-0000-0000-0000-000000000001' }, 'Entra object id'],
  ])('%j is the requester (%s)', (fields) => {
    expect(isSamePerson(fields, REQUESTER)).toBe(true);
    expect(isSamePerson(REQUESTER, fields)).toBe(true);
  });

  test('different or empty fields are different people', () => {
    expect(isSamePerson({ id: 'bob', email: 'bob@example.com' }, REQUESTER)).toBe(false);
    expect(isSamePerson({ id: 'x', email: '' }, { id: 'y', email: '' })).toBe(false);
    expect(isSamePerson({ name: 'Alice' }, REQUESTER)).toBe(false);
    // An Entra object id is not compared with an email or id.
    expect(isSamePerson({ entraObjectId: 'alice' }, REQUESTER)).toBe(false);
  });

  test('countPeople merges reviewer ids that share an identity', () => {
    const people = new Map<string, Reviewer>([
      ['bob', { id: 'bob', email: 'bob@example.com' }],
      ['bobby', { id: 'bobby', email: 'BOB@example.com', entraObjectId: 'o-1' }],
      ['robert', { id: 'robert', entraObjectId: 'O-1' }],
      ['carol', { id: 'carol' }],
    ]);
    expect(countPeople(['bob', 'bobby', 'robert', 'carol', 'carol'], people)).toBe(2);
    expect(countPeople(['bob', 'robert'], people)).toBe(2);
    expect(countPeople(['bob', 'unknown'], people)).toBe(2);
  });

  test('findReviewer looks reviewers up by email or Entra object id, ignoring case', () => {
    expect(findReviewer(REVIEWERS, 'email', 'BOB@example.com')?.id).toBe('bob');
    expect(findReviewer(REVIEWERS, 'entraObjectId', '11111111-2222-3333-4444-555555555555')?.id).toBe('bob');
    expect(findReviewer(REVIEWERS, 'email', 'nobody@example.com')).toBeUndefined();
    expect(findReviewer(REVIEWERS, 'email', '')).toBeUndefined();
  });
});

describe('resolveReviewers', () => {
  const resolve = (specs: string[], quorum = 1) =>
    resolveReviewers({ specs, quorum, reviewers: byId, groups: GROUPS, requester: REQUESTER });

  test('resolves users and groups in order, once each, without the requester', () => {
    expect(resolve(['user:dave', 'group:ops', 'group:dba'])).toEqual({
      ok: true,
      reviewers: ['dave', 'bob', 'carol'],
      excluded: ['alice-reviewer'],
    });
  });

  test('names every unknown reviewer and group', () => {
    const result = resolve(['user:zed', 'group:nope', 'user:bob']);
    expect(result).toEqual({
      ok: false,
      reason:
        "user:zed names no reviewer in the config (configured: bob, carol, dave, alice-reviewer); group:nope names no group in the config (configured: dba, ops); fix the policy rule or the config's reviewers/groups",
    });
  });

  test('refuses a group member who is not a reviewer, and a quorum below 1', () => {
    const result = resolveReviewers({
      specs: ['group:ghosts'],
      quorum: 1,
      reviewers: byId,
      groups: { ghosts: ['casper'] },
      requester: REQUESTER,
    });
    expect(result).toMatchObject({ ok: false, reason: expect.stringMatching(/member "casper"/) });
    expect(resolve(['user:bob'], 0)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^quorum must/),
    });
  });

  test('refuses a quorum that only the requester could complete', () => {
    expect(resolve(['group:ops'], 2)).toMatchObject({ ok: true });
    expect(resolve(['group:ops'], 3)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^quorum 3/),
    });
  });

  test('reviewersFromConfig turns the config mapping into a list with ids', () => {
    expect(reviewersFromConfig({ bob: { name: 'Bob', tokenHash: hashToken('t') }, carol: {} })).toEqual([
      { id: 'bob', name: 'Bob', tokenHash: hashToken('t') },
      { id: 'carol' },
    ]);
  });
});

describe('formatDuration', () => {
  test.each([
    [15 * 60_000, '15m'],
    [2 * 3_600_000 + 5 * 60_000, '2h 5m'],
    [2 * 3_600_000 + 5 * 60_000 + 30_000, '2h 5m'],
    [40_000, '40s'],
    [4 * 60_000 + 59_999, '4m 59s'],
    [86_400_000 + 3 * 3_600_000, '1d 3h'],
    [3_600_000 + 7_000, '1h 7s'],
    [500, '500ms'],
    [0, '0s'],
    [-5, '0s'],
  ])('%i ms is "%s"', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
