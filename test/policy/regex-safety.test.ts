// The ReDoS guard: recheck verdicts, the built-in patterns, and the cache that spares re-checking safe patterns.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { checkSync } from 'recheck';
import { describe, expect, test } from 'vitest';
import {
  BUILT_IN_REDACT_PATTERNS,
  buildSafeRegex,
  compilePolicySources,
  openRegexCheckCache,
  regexCheckKey,
} from '../../src/policy/index.js';
import { createLogger } from '../../src/log.js';
import { yaml } from './helpers.js';

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
