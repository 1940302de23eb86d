// The ReDoS guard: recheck verdicts, the built-in patterns, and the cache that spares re-checking safe patterns.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { checkSync } from 'recheck';
import { describe, expect, test } from 'vitest';
import {
  BUILT_IN_REDACT_PATTERNS,
  buildSafeRegex,
  checkRegexSafety,
  compilePolicySources,
  openRegexCheckCache,
  regexCheckKey,
} from '../../src/policy/index.js';
import { SMALL_BATCH, recheckBatchSync } from '../../src/policy/recheck-batch.js';
import { createLogger } from '../../src/log.js';
import { policyErrorOf, yaml } from './helpers.js';

describe('buildSafeRegex', () => {
  test('returns a working regex for a safe pattern, with extra flags only on the built regex', () => {
    const outcome = buildSafeRegex('tok-[0-9]{4}', 'i', 'g');
    expect(outcome.ok).toBe(true);
    if (outcome.ok) expect(outcome.regex.flags).toBe('gi');
  });

  test('reports exponential and polynomial patterns as unsafe, and syntax errors as invalid', () => {
    expect(buildSafeRegex('(a|a)*b', '')).toMatchObject({ ok: false, code: 'POLICY_UNSAFE_REGEX' });
    expect(buildSafeRegex('a+b', '')).toMatchObject({ ok: false, code: 'POLICY_UNSAFE_REGEX' });
    expect(buildSafeRegex('[', '')).toMatchObject({ ok: false, code: 'POLICY_INVALID' });
  });
});

describe('checking many patterns in one batch', () => {
  const patterns = [
    { source: '^tok-[a-z]+\\d{2,4}$', flags: '' },
    { source: '(a+)+$', flags: '' },
    { source: '\\s*,\\s*$', flags: '' },
    { source: '^(prod|production)$', flags: 'i' },
  ];

  test('gives recheck’s own verdicts, in request order', () => {
    const outcomes = recheckBatchSync(patterns, { timeoutMs: 10_000, minBatch: 1 });
    const statuses = outcomes.map((o) => ('diagnostics' in o ? o.diagnostics.status : o.error));
    expect(statuses).toEqual(patterns.map(({ source, flags }) => checkSync(source, flags).status));
    expect(statuses).toEqual(['safe', 'vulnerable', 'vulnerable', 'safe']);
  });

  test('a pattern recheck cannot clear in time is not safe (fail closed)', () => {
    const outcomes = recheckBatchSync([{ source: '^(a|b|ab)*c[a-z0-9]{3,40}(x|y)+$', flags: '' }], {
      timeoutMs: 1,
      minBatch: 1,
    });
    expect(outcomes).toMatchObject([{ diagnostics: { status: 'unknown', error: { kind: 'timeout' } } }]);
  });

  test('a policy with many regexes reports each unsafe one at its place, and caches the safe ones', () => {
    const count = SMALL_BATCH + 4;
    const lines = ['rules:'];
    for (let i = 0; i < count; i++) {
      const regex = i === 3 ? '(a+)+$' : i === count - 1 ? '(x|x)*y' : `^tok${i}-[a-z]+\\d{2,4}$`;
      lines.push(`  - id: r${i}`, '    match:', `      args: { q: { regex: '${regex}' } }`, '    risk: high');
    }
    const cache = new Set<string>();
    const error = policyErrorOf(() =>
      compilePolicySources([{ file: 'many.yaml', text: yaml(...lines) }], { regexCache: cache }),
    );
    expect(error.code).toBe('POLICY_UNSAFE_REGEX');
    expect(error.message.split('\n').map((line) => line.split(' can backtrack')[0])).toEqual([
      '2 problems in policy files:',
      '  many.yaml:16:27: rule "r3": args.q.regex: regex /(a+)+$/',
      `  many.yaml:${4 * count}:27: rule "r${count - 1}": args.q.regex: regex /(x|x)*y/`,
    ]);
    expect(cache.size).toBe(count - 2);
    expect(cache.has(regexCheckKey('^tok0-[a-z]+\\d{2,4}$', ''))).toBe(true);
  });

  test('the same pattern gets one verdict per request; cached patterns are trusted', () => {
    const trusted = new Set([regexCheckKey('(a+)+$', '')]);
    const verdicts = checkRegexSafety(
      [
        { source: '(a+)+$', flags: '' },
        { source: '(b+)+$', flags: '' },
        { source: '(b+)+$', flags: '' },
        { source: '^ok$', flags: '' },
      ],
      trusted,
    );
    expect(verdicts.map((v) => v.safe)).toEqual([true, false, false, true]);
    expect(trusted.has(regexCheckKey('^ok$', ''))).toBe(true);
    expect(trusted.has(regexCheckKey('(b+)+$', ''))).toBe(false);
  });
});

describe('built-in patterns', () => {
  test.each(BUILT_IN_REDACT_PATTERNS.map((source) => [source]))('%s is proven safe by recheck', (source) => {
    expect(checkSync(source, '', { timeout: 20_000 }).status).toBe('safe');
  });
});

describe('regex check cache', () => {
  const policyText = yaml(
    'rules:',
    '  - id: r',
    '    match:',
    '      args:',
    "        q: { regex: '\\bdelete\\s+from\\b', flags: i }",
    '    risk: high',
  );

  test('safe patterns are remembered and not checked again; unsafe ones never are', () => {
    const cache = new Set<string>();
    compilePolicySources([{ file: 'p.yaml', text: policyText }], { regexCache: cache });
    expect([...cache]).toEqual([regexCheckKey('\\bdelete\\s+from\\b', 'i')]);

    // A key in the cache is trusted: proven by marking an unsafe pattern as checked.
    const trusted = new Set([regexCheckKey('(a+)+$', '')]);
    const unsafe = yaml(
      'rules:',
      '  - id: r',
      '    match:',
      "      args: { q: { regex: '(a+)+$' } }",
      '    risk: high',
    );
    expect(() =>
      compilePolicySources([{ file: 'p.yaml', text: unsafe }], { regexCache: trusted }),
    ).not.toThrow();
    const empty = new Set<string>();
    expect(() => compilePolicySources([{ file: 'p.yaml', text: unsafe }], { regexCache: empty })).toThrow(
      /can backtrack/,
    );
    expect(empty.size).toBe(0);
  });

  test('a cache file survives between processes, and a corrupt one starts afresh with a warning', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'warden-regex-cache-'));
    const file = path.join(dir, 'nested', 'regex-checks.json');
    const first = openRegexCheckCache(file);
    compilePolicySources([{ file: 'p.yaml', text: policyText }], { regexCache: first });
    const stored = JSON.parse(readFileSync(file, 'utf8')) as { safe: string[] };
    expect(stored.safe).toEqual([regexCheckKey('\\bdelete\\s+from\\b', 'i')]);
    expect(openRegexCheckCache(file).has(regexCheckKey('\\bdelete\\s+from\\b', 'i'))).toBe(true);

    writeFileSync(file, '{not json');
    const warnings: string[] = [];
    const reopened = openRegexCheckCache(
      file,
      createLogger('warn', { write: (t: string) => warnings.push(t) }),
    );
    expect(reopened.has(regexCheckKey('\\bdelete\\s+from\\b', 'i'))).toBe(false);
    expect(warnings.join('')).toMatch(/regex check cache .* is unreadable, starting afresh/);
  });
});
