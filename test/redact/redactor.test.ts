// Redaction: secrets under secret-looking keys and in token shapes are masked; everything else is left as it was.
import { checkSync } from 'recheck';
import { describe, expect, test } from 'vitest';
import {
  BUILTIN_SECRET_PATTERNS,
  BUILTIN_SECRET_SOURCE,
  CIRCULAR,
  MAX_REDACT_DEPTH,
  REDACTED,
  TRUNCATED,
  createRedactor,
} from '../../src/redact/index.js';

const redact = createRedactor({ keys: [], patterns: [] });

describe('secret keys', () => {
  test('masks the whole value under a secret key, at any depth and inside arrays', () => {
    expect(
      redact({
        user: 'alice',
        password: 'hunter2',
        nested: { config: { apiKey: { id: 1, value: 'k' } }, list: [{ token: 't1' }, { name: 'ok' }] },
      }),
    ).toEqual({
      user: 'alice',
      password: REDACTED,
      nested: { config: { apiKey: REDACTED }, list: [{ token: REDACTED }, { name: 'ok' }] },
    });
  });

  test('matches key names case-insensitively, as substrings, ignoring - _ and .', () => {
    const masked = redact({
      DB_PASSWORD: 'x',
      'X-Api-Key': 'x',
      Authorization: 'x',
      sessionToken: 'x',
      'private.key': 'x',
      AWS_SECRET_ACCESS_KEY: 'x',
      Cookie: 'x',
      userCredentials: 'x',
      passwd: 'x',
      path: '/etc/hosts',
      count: 3,
    }) as Record<string, unknown>;
    for (const key of Object.keys(masked).filter((k) => k !== 'path' && k !== 'count')) {
      expect(masked[key], key).toBe(REDACTED);
    }
    expect(masked.path).toBe('/etc/hosts');
    expect(masked.count).toBe(3);
  });

  test('adds the configured keys to the built-in ones', () => {
    const custom = createRedactor({ keys: ['SSN', 'card-number'], patterns: [] });
    expect(custom({ ssn: '123-45-6789', cardNumber: '4111', password: 'p', name: 'n' })).toEqual({
      ssn: REDACTED,
      cardNumber: REDACTED,
      password: REDACTED,
      name: 'n',
    });
  });

  test('masks by key name the same way on every call, however many names it has seen', () => {
    const value = Object.fromEntries(
      Array.from({ length: 3000 }, (_, i) => [i % 3 === 0 ? `secret_${i}` : `field_${i}`, `v${i}`]),
    );
    for (let round = 0; round < 2; round += 1) {
      const masked = redact(value) as Record<string, string>;
      expect(masked.secret_0).toBe(REDACTED);
      expect(masked.secret_2997).toBe(REDACTED);
      expect(masked.field_1).toBe('v1');
      expect(masked.field_2999).toBe('v2999');
      expect(Object.values(masked).filter((v) => v === REDACTED)).toHaveLength(1000);
    }
  });

  test('an empty configured key masks nothing extra', () => {
    expect(createRedactor({ keys: [''], patterns: [] })({ name: 'n' })).toEqual({ name: 'n' });
  });
});

describe('patterns inside strings', () => {
  test('replaces each match of a configured pattern, keeping its flags', () => {
    const custom = createRedactor({ keys: [], patterns: [/acct-\d{4}/i, /internal\.example\.com/] });
    expect(custom({ note: 'ACCT-1234 and acct-5678 at internal.example.com' })).toEqual({
      note: `${REDACTED} and ${REDACTED} at ${REDACTED}`,
    });
  });

  test('a pattern that already has g or y flags still replaces every match', () => {
    const custom = createRedactor({ keys: [], patterns: [/x\d/gy] });
    expect(custom('x1 x2 x3')).toBe(`${REDACTED} ${REDACTED} ${REDACTED}`);
    expect(custom('x1 x2 x3')).toBe(`${REDACTED} ${REDACTED} ${REDACTED}`);
  });

  const shapes: Array<[string, string]> = [
    ['a Bearer token', 'curl -H "Authorization: Bearer abc.DEF-123_~+/xyz=="'],
    ['an AWS access key id', 'key AKIAIOSFODNN7EXAMPLE in config'],
    ['a GitHub token', `export GH=ghp_${'a1B2'.repeat(9)}`],
    ['a fine-grained GitHub token', `github_pat_${'A1b2_'.repeat(10)}`],
    ['a Slack token', 'xoxb-1234567890-abcdefghij'],
    ['a JWT', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'],
    ['an OpenAI / Anthropic key', 'sk-ant-api03-abcdefghijklmnopqrstuvwxyz'],
    ['a Stripe key', 'sk_live_abcdefghijklmnop1234'],
    ['a Google API key', `AIza${'x'.repeat(35)}`],
    [
      'a PEM private key block',
      '-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nAAAA\n-----END RSA PRIVATE KEY-----',
    ],
    ['a PEM block cut short', 'key: -----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXkt'],
  ];
  test.each(shapes)('masks %s', (_name, text) => {
    const masked = redact({ text }) as { text: string };
    expect(masked.text).toContain(REDACTED);
    expect(masked.text).not.toMatch(
      /AKIAIOSF|ghp_a1|github_pat_A1|xoxb-1|eyJzdWIi|abcdefghijklmnopq|x{35}|MIIEow|b3Blbn|abc\.DEF/,
    );
  });

  test('masks a token glued to a word by _ - . = or :, keeping the word', () => {
    const cases: Array<[string, string]> = [
      ['id_ghp_GLUEDKEY0123456789abcdefghijklmnopqrstu', 'id_'],
      ['id_github_pat_GLUED0123456789abcdefghij_klmnop', 'id_'],
      ['key_sk-ant-api03-abcdefghijklmnopqrstuvwxyz', 'key_'],
      ['x.AKIAIOSFODNN7EXAMPLE', 'x.'],
      ['id:AKIAIOSFODNN7EXAMPLE', 'id:'],
      ['slack-xoxb-1234567890-abcdefghij', 'slack-'],
      ['live_sk_live_abcdefghijklmnop1234', 'live_'],
      [`g_AIza${'x'.repeat(35)}`, 'g_'],
    ];
    for (const [value, kept] of cases) expect(redact(value), value).toBe(`${kept}${REDACTED}`);
  });

  test('masks a GitHub token glued to letters, whose shape no word has', () => {
    expect(redact('xxghp_GLUEDKEY0123456789abcdefghijklmnopqrstu')).toBe(`xx${REDACTED}`);
  });

  test('masks a token followed by _ and a word, keeping the word', () => {
    expect(redact('AKIAIOSFODNN7EXAMPLE_old')).toBe(`${REDACTED}_old`);
    expect(redact(`ghp_${'a1B2'.repeat(9)}_backup`)).toBe(`${REDACTED}_backup`);
  });

  test('leaves words that end like a token prefix alone', () => {
    const ordinary = [
      'task-management-system-version-two',
      'desk_test_configuration1234567',
      'FANTASIA0123456789ABCDEF',
      'laughs_and_highs_of_the_day',
    ];
    for (const value of ordinary) expect(redact(value), value).toBe(value);
  });

  test('masks the password of a URL but keeps the user and host readable', () => {
    expect(redact('postgres://app:s3cr3t@db.internal:5432/main')).toBe(
      `postgres://app:${REDACTED}@db.internal:5432/main`,
    );
  });

  test('keeps the text around a secret', () => {
    expect(redact('before AKIAIOSFODNN7EXAMPLE after')).toBe(`before ${REDACTED} after`);
  });

  test('leaves ordinary text alone', () => {
    const ordinary = {
      path: '/home/alice/projects/warden/README.md',
      query: 'SELECT name FROM users WHERE id = 4',
      url: 'https://example.com/a?b=c',
      sha: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      words: 'the sky is blue; basic desk-lamp; AKIA too short',
    };
    expect(redact(ordinary)).toEqual(ordinary);
  });

  test('every built-in pattern, alone and combined, is free of catastrophic backtracking', () => {
    for (const { name, pattern } of BUILTIN_SECRET_PATTERNS) {
      expect(checkSync(pattern.source, pattern.flags, { timeout: 10_000 }).status, name).toBe('safe');
    }
    expect(checkSync(BUILTIN_SECRET_SOURCE, 'g', { timeout: 20_000 }).status).toBe('safe');
  });

  test('stays fast on long adversarial strings', () => {
    const started = performance.now();
    for (const text of [
      'eyJ-'.repeat(50_000),
      'a://b:'.repeat(30_000),
      'Bearer '.repeat(30_000),
      'xoxb-'.repeat(40_000),
    ]) {
      redact(text);
    }
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});

describe('odd input', () => {
  test('returns a deep copy and never changes its input', () => {
    const input = { a: { password: 'p', list: [1, 'AKIAIOSFODNN7EXAMPLE'] } };
    const snapshot = structuredClone(input);
    const output = redact(input) as typeof input;
    expect(input).toEqual(snapshot);
    expect(output.a).not.toBe(input.a);
    expect(output.a.list).not.toBe(input.a.list);
  });

  test('replaces cycles, but copies an object seen twice without a cycle', () => {
    const shared = { name: 'shared' };
    const value: Record<string, unknown> = { left: shared, right: shared };
    value.self = value;
    const list: unknown[] = [1];
    list.push(list);
    expect(redact(value)).toEqual({ left: { name: 'shared' }, right: { name: 'shared' }, self: CIRCULAR });
    expect(redact(list)).toEqual([1, CIRCULAR]);
  });

  test(`truncates nesting past ${MAX_REDACT_DEPTH} levels`, () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 100; i += 1) deep = { next: deep };
    let node = redact(deep);
    let depth = 0;
    while (typeof node === 'object' && node !== null) {
      node = (node as { next: unknown }).next;
      depth += 1;
    }
    expect(node).toBe(TRUNCATED);
    expect(depth).toBe(MAX_REDACT_DEPTH);
  });

  test('passes primitives through and masks top-level strings', () => {
    expect(redact(null)).toBeNull();
    expect(redact(undefined)).toBeUndefined();
    expect(redact(42)).toBe(42);
    expect(redact(true)).toBe(true);
    expect(redact(10n)).toBe(10n);
    expect(redact('Bearer abcdef')).toBe(REDACTED);
  });

  test('uses toJSON (dates) and survives throwing getters and odd keys', () => {
    const hostile = Object.defineProperty({ ok: 1 }, 'boom', {
      enumerable: true,
      get() {
        throw new Error('no');
      },
    });
    expect(redact({ when: new Date('2025-01-01T00:00:00Z'), hostile })).toEqual({
      when: '2025-01-01T00:00:00.000Z',
      hostile: { ok: 1, boom: '[UNREADABLE]' },
    });
    const parsed = JSON.parse('{"__proto__": {"token": "t"}, "x": 1}') as object;
    const copy = redact(parsed) as Record<string, unknown>;
    expect(Object.keys(copy)).toEqual(['__proto__', 'x']);
    expect(JSON.stringify(copy)).toBe(`{"__proto__":{"token":"${REDACTED}"},"x":1}`);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
  });
});
