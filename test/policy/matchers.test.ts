// Argument matchers: each operator, its combinations, and how argument paths are found in the call.
import { describe, expect, test } from 'vitest';
import { call, compile, firedIds, yaml } from './helpers.js';

/** A policy with one rule `r` whose `args` are the given YAML lines (indented under `args:`). */
function argsRule(...argLines: string[]) {
  return compile(
    yaml(
      'rules:',
      '  - id: r',
      '    match:',
      '      args:',
      ...argLines.map((l) => `        ${l}`),
      '    risk: high',
    ),
  );
}

const fires = (policy: ReturnType<typeof compile>, args: Record<string, unknown>) =>
  firedIds(policy, call('t', args)).includes('r');

describe('value operators', () => {
  test('equals compares deeply; a plain scalar is shorthand for equals', () => {
    const deep = argsRule('opts: { equals: { mode: overwrite, tags: [a, b] } }');
    expect(fires(deep, { opts: { tags: ['a', 'b'], mode: 'overwrite' } })).toBe(true);
    expect(fires(deep, { opts: { tags: ['b', 'a'], mode: 'overwrite' } })).toBe(false);
    expect(fires(deep, { opts: { tags: ['a', 'b'], mode: 'overwrite', extra: 1 } })).toBe(false);

    const scalar = argsRule('mode: overwrite', 'count: 3', 'force: true');
    expect(fires(scalar, { mode: 'overwrite', count: 3, force: true })).toBe(true);
    expect(fires(scalar, { mode: 'overwrite', count: '3', force: true })).toBe(false);
    expect(fires(scalar, { mode: 'Overwrite', count: 3, force: true })).toBe(false);
  });

  test('equals and oneOf compare strings case-insensitively with ignoreCase: true', () => {
    const policy = argsRule('env: { oneOf: [prod, production], ignoreCase: true }');
    expect(fires(policy, { env: 'PROD' })).toBe(true);
    expect(fires(policy, { env: 'Production' })).toBe(true);
    expect(fires(policy, { env: 'staging' })).toBe(false);
  });

  test('oneOf accepts any listed value, exactly', () => {
    const policy = argsRule('env: { oneOf: [prod, production, 1] }');
    expect(fires(policy, { env: 'prod' })).toBe(true);
    expect(fires(policy, { env: 1 })).toBe(true);
    expect(fires(policy, { env: 'PROD' })).toBe(false);
    expect(fires(policy, { env: 'dev' })).toBe(false);
  });

  test('regex tests strings with its flags, and never matches non-strings', () => {
    const policy = argsRule(`path: { regex: '^/etc/', flags: i }`);
    expect(fires(policy, { path: '/etc/passwd' })).toBe(true);
    expect(fires(policy, { path: '/ETC/hosts' })).toBe(true);
    expect(fires(policy, { path: '/home/etc/x' })).toBe(false);
    expect(fires(policy, { path: ['/etc/passwd'] })).toBe(false);
    const caseSensitive = argsRule(`path: { regex: '^/etc/' }`);
    expect(fires(caseSensitive, { path: '/ETC/hosts' })).toBe(false);
  });

  test('regex gives the same answer on every call (no g/y state carried between calls)', () => {
    const policy = argsRule(`q: { regex: 'drop' }`);
    const answers = [1, 2, 3, 4].map(() => fires(policy, { q: 'drop table x' }));
    expect(answers).toEqual([true, true, true, true]);
  });

  test('contains finds substrings in strings (optionally ignoring case) and elements in lists', () => {
    const strict = argsRule('query: { contains: DROP }');
    expect(fires(strict, { query: 'x; DROP TABLE t' })).toBe(true);
    expect(fires(strict, { query: 'x; drop table t' })).toBe(false);
    const loose = argsRule('query: { contains: DROP, ignoreCase: true }');
    expect(fires(loose, { query: 'x; drop table t' })).toBe(true);
    expect(fires(loose, { query: 'x; dr.op table t' })).toBe(false);

    const list = argsRule('labels: { contains: urgent }');
    expect(fires(list, { labels: ['bug', 'urgent'] })).toBe(true);
    expect(fires(list, { labels: ['bug', 'urgent-ish'] })).toBe(false);
    expect(fires(list, { labels: { urgent: true } })).toBe(false);
  });

  test('gt / gte / lt / lte bound numbers (and numeric strings), combined with AND', () => {
    const policy = argsRule('limit: { gt: 1000, lte: 5000 }');
    expect(fires(policy, { limit: 1001 })).toBe(true);
    expect(fires(policy, { limit: 5000 })).toBe(true);
    expect(fires(policy, { limit: '2500' })).toBe(true);
    expect(fires(policy, { limit: 1000 })).toBe(false);
    expect(fires(policy, { limit: 5001 })).toBe(false);
    expect(fires(policy, { limit: 'lots' })).toBe(false);
    expect(fires(policy, { limit: '' })).toBe(false);
    const lower = argsRule('n: { gte: 10, lt: 11 }');
    expect(fires(lower, { n: 10 })).toBe(true);
    expect(fires(lower, { n: 10.5 })).toBe(true);
    expect(fires(lower, { n: 11 })).toBe(false);
  });

  test('exists: true needs the argument present (null counts); exists: false needs it absent', () => {
    const present = argsRule('force: { exists: true }');
    expect(fires(present, { force: false })).toBe(true);
    expect(fires(present, { force: null })).toBe(true);
    expect(fires(present, {})).toBe(false);
    const absent = argsRule('force: { exists: false }');
    expect(fires(absent, {})).toBe(true);
    expect(fires(absent, { force: false })).toBe(false);
  });

  test('an absent argument matches no operator except exists: false', () => {
    const policy = argsRule('x: { oneOf: [null] }');
    expect(fires(policy, {})).toBe(false);
    expect(fires(policy, { x: null })).toBe(true);
    for (const matcher of [`{ regex: '.*' }`, '{ gte: 0 }', '{ contains: a }', '{ equals: null }', 'null']) {
      expect(fires(argsRule(`x: ${matcher}`), {})).toBe(false);
    }
  });

  test('several operators in one object must all hold', () => {
    const policy = argsRule(`path: { regex: '^/etc/', contains: passwd }`);
    expect(fires(policy, { path: '/etc/passwd' })).toBe(true);
    expect(fires(policy, { path: '/etc/hosts' })).toBe(false);
    expect(fires(policy, { path: '/tmp/passwd' })).toBe(false);
  });
});

describe('combinators', () => {
  test('not negates a matcher (and so holds for an absent argument)', () => {
    const policy = argsRule('env: { not: { oneOf: [dev, test] } }');
    expect(fires(policy, { env: 'prod' })).toBe(true);
    expect(fires(policy, { env: 'dev' })).toBe(false);
    expect(fires(policy, {})).toBe(true);
    const presentOnly = argsRule('env: { exists: true, not: { equals: dev } }');
    expect(fires(presentOnly, {})).toBe(false);
  });

  test('any holds when one of its matchers holds; all when every one does', () => {
    const any = argsRule(`branch: { any: [{ regex: '^release/' }, main, { exists: false }] }`);
    expect(fires(any, { branch: 'main' })).toBe(true);
    expect(fires(any, { branch: 'release/1.2' })).toBe(true);
    expect(fires(any, {})).toBe(true);
    expect(fires(any, { branch: 'feature/x' })).toBe(false);

    const all = argsRule(
      `sql: { all: [{ regex: 'update', flags: i }, { not: { regex: 'where', flags: i } }] }`,
    );
    expect(fires(all, { sql: 'UPDATE t SET a = 1' })).toBe(true);
    expect(fires(all, { sql: 'UPDATE t SET a = 1 WHERE id = 2' })).toBe(false);
    expect(fires(all, { sql: 'SELECT 1' })).toBe(false);
  });

  test('anyItem holds when some element of a list matches', () => {
    const policy = argsRule(`paths: { anyItem: { regex: '\\.ssh/' } }`);
    expect(fires(policy, { paths: ['/tmp/a', '/home/u/.ssh/id_rsa'] })).toBe(true);
    expect(fires(policy, { paths: ['/tmp/a', '/tmp/b'] })).toBe(false);
    expect(fires(policy, { paths: [] })).toBe(false);
    expect(fires(policy, { paths: '/home/u/.ssh/id_rsa' })).toBe(false);
  });
});

describe('argument paths', () => {
  test('dotted paths reach nested objects, and digit segments index lists', () => {
    const policy = argsRule('options.mode: overwrite', 'items.1.name: { regex: secret }');
    expect(
      fires(policy, { options: { mode: 'overwrite' }, items: [{ name: 'a' }, { name: 'top-secret' }] }),
    ).toBe(true);
    expect(
      fires(policy, { options: { mode: 'overwrite' }, items: [{ name: 'top-secret' }, { name: 'a' }] }),
    ).toBe(false);
    expect(fires(policy, { options: { mode: 'overwrite' }, items: [{ name: 'a' }] })).toBe(false);
    expect(fires(policy, { options: 'overwrite', items: [{ name: 'a' }, { name: 'secret' }] })).toBe(false);
  });

  test('a path that does not exist matches nothing but exists: false', () => {
    const missing = argsRule('a.b.c: { exists: false }');
    expect(fires(missing, {})).toBe(true);
    expect(fires(missing, { a: { b: 1 } })).toBe(true);
    expect(fires(missing, { a: { b: { c: 0 } } })).toBe(false);
    const value = argsRule('a.b.c: 1');
    expect(fires(value, { a: { b: [1] } })).toBe(false);
  });

  test('paths follow own properties only, never the prototype', () => {
    const policy = argsRule('constructor: { exists: true }', 'toString.name: { exists: true }');
    expect(fires(policy, {})).toBe(false);
    expect(
      fires(
        argsRule('constructor: { exists: true }'),
        JSON.parse('{"constructor": 1}') as Record<string, unknown>,
      ),
    ).toBe(true);
  });

  test('alternatives (source|destination) hold when any present path matches, or test absence when none is', () => {
    const policy = argsRule(`source|destination: { regex: '^/etc/' }`);
    expect(fires(policy, { source: '/tmp/a', destination: '/etc/a' })).toBe(true);
    expect(fires(policy, { source: '/etc/a', destination: '/tmp/a' })).toBe(true);
    expect(fires(policy, { source: '/tmp/a', destination: '/tmp/b' })).toBe(false);
    const absent = argsRule('sql|query: { exists: false }');
    expect(fires(absent, { statement: 'x' })).toBe(true);
    expect(fires(absent, { query: 'x' })).toBe(false);
  });

  const whyOf = (policy: ReturnType<typeof compile>, args: Record<string, unknown>, redactedArgs?: unknown) =>
    policy.evaluate(call('t', args, { redactedArgs })).matches.find((m) => m.ruleId === 'r')?.why;

  test('* reaches every item of a list or value of an object; the why line names the one that matched', () => {
    const policy = argsRule(`IpPermissions.*.IpRanges.*.CidrIp: { regex: '/0$' }`);
    const open = {
      IpPermissions: [
        { IpRanges: [{ CidrIp: '10.0.0.0/8' }] },
        { IpRanges: [{ CidrIp: '192.168.0.0/16' }, { CidrIp: '0.0.0.0/0' }] },
      ],
    };
    expect(whyOf(policy, open)).toEqual([
      'args.IpPermissions.1.IpRanges.1.CidrIp "0.0.0.0/0" matches /\\/0$/',
    ]);
    const closed = { IpPermissions: [{ IpRanges: [{ CidrIp: '10.0.0.0/8' }, { CidrIp: '10.1.0.0/16' }] }] };
    expect(fires(policy, closed)).toBe(false);
    expect(fires(argsRule(`tags.*: prod`), { tags: { env: 'prod' } })).toBe(true);
    expect(fires(argsRule(`tags.*: prod`), { tags: { env: 'dev', tier: 'web' } })).toBe(false);
    // A scalar has no items: `*` under it reaches nothing.
    expect(fires(argsRule(`tags.*: { exists: true }`), { tags: 'prod' })).toBe(false);
  });

  test('** reaches values at any depth, this level included', () => {
    const policy = argsRule(`'**.password': { exists: true }`);
    expect(fires(policy, { password: 'x' })).toBe(true);
    expect(fires(policy, { a: [{ b: { password: 'x' } }] })).toBe(true);
    expect(fires(policy, { a: [{ b: { passwords: 'x' } }] })).toBe(false);
    const anywhere = argsRule(`'**': { regex: '0\\.0\\.0\\.0/0' }`);
    expect(whyOf(anywhere, { rules: [{ from: ['10.0.0.0/8', '0.0.0.0/0'] }] })).toEqual([
      'args.rules.0.from.1 "0.0.0.0/0" matches /0\\.0\\.0\\.0\\/0/',
    ]);
    expect(fires(argsRule(`a.**.**.b: 1`), { a: { x: { b: 1 } } })).toBe(true);
  });

  test('a wildcard path that reaches nothing is an absent argument', () => {
    const policy = argsRule('items.*.name: { exists: false }');
    expect(fires(policy, { items: [] })).toBe(true);
    expect(fires(policy, { items: [{ id: 1 }] })).toBe(true);
    expect(fires(policy, { items: [{ id: 1 }, { name: 'n' }] })).toBe(false);
    expect(whyOf(policy, {})).toEqual(['args.items.*.name is absent']);
  });

  test('a wildcard path holds when the matcher holds for any value it reaches, not for every one', () => {
    const policy = argsRule('items.*.env: { not: { equals: prod } }');
    expect(fires(policy, { items: [{ env: 'prod' }, { env: 'dev' }] })).toBe(true);
    expect(fires(policy, { items: [{ env: 'prod' }, { env: 'prod' }] })).toBe(false);
  });

  test('wildcards follow own data only and survive arguments nested 100,000 levels deep', () => {
    expect(fires(argsRule("'**.constructor': { exists: true }"), { a: { b: 1 } })).toBe(false);
    let deep: Record<string, unknown> = { token: 'x' };
    for (let i = 0; i < 100_000; i++) deep = { next: deep };
    expect(fires(argsRule("'**.token': x"), deep)).toBe(true);
  });

  test('a why line through a wildcard shows the value as the audit log stores it', () => {
    const policy = argsRule(`env.*.value: { regex: 'hunter2' }`);
    const args = { env: [{ name: 'DB_PASSWORD', value: 'hunter2' }] };
    const redacted = { env: [{ name: 'DB_PASSWORD', value: '[REDACTED]' }] };
    expect(whyOf(policy, args, redacted)).toEqual(['args.env.0.value "[REDACTED]" matches /hunter2/']);
  });

  test('a * glued to other text in a path is an error, not a literal key or a glob', () => {
    expect(() => argsRule('items.na*: 1')).toThrow(
      'invalid argument path "items.na*": "na*": a * stands alone in a path, as * (any one key or list item) or ** (any depth)',
    );
  });

  test('non-object arguments are treated as {}', () => {
    const policy = argsRule('x: { exists: false }');
    for (const args of [null, 'text', 42, ['a']]) {
      expect(firedIds(policy, { server: 's', tool: 't', args: args as never })).toEqual(['r']);
    }
    expect(fires(argsRule('0: a'), ['a'] as never)).toBe(false);
  });
});

describe('tool, server and annotation conditions', () => {
  const policy = compile(
    yaml(
      'rules:',
      '  - id: by-tool',
      '    match: { tool: write_* }',
      '    risk: high',
      '  - id: by-tool-list',
      '    match: { tool: [read_*, list_directory] }',
      '    risk: low',
      '  - id: by-server',
      '    match: { server: [db-*, warehouse] }',
      '    risk: medium',
      '  - id: by-hints',
      '    match: { annotations: { readOnlyHint: true, openWorldHint: false } }',
      '    risk: low',
      '  - id: everything',
      '    risk: low',
    ),
  );

  test('tool globs and lists of globs', () => {
    expect(firedIds(policy, call('write_file'))).toContain('by-tool');
    expect(firedIds(policy, call('overwrite_file'))).not.toContain('by-tool');
    expect(firedIds(policy, call('read_text_file'))).toContain('by-tool-list');
    expect(firedIds(policy, call('list_directory'))).toContain('by-tool-list');
    expect(firedIds(policy, call('list_directory_with_sizes'))).not.toContain('by-tool-list');
  });

  test('a glob star also crosses / in tool names', () => {
    expect(firedIds(policy, call('write_a/b'))).toContain('by-tool');
  });

  test('server globs and lists', () => {
    expect(firedIds(policy, { server: 'db-prod', tool: 'q', args: {} })).toContain('by-server');
    expect(firedIds(policy, { server: 'warehouse', tool: 'q', args: {} })).toContain('by-server');
    expect(firedIds(policy, { server: 'warehouse2', tool: 'q', args: {} })).not.toContain('by-server');
  });

  test('annotations match exact booleans; a missing hint does not match', () => {
    const hinted = (annotations: object) => firedIds(policy, call('t', {}, { annotations }));
    expect(hinted({ readOnlyHint: true, openWorldHint: false })).toContain('by-hints');
    expect(hinted({ readOnlyHint: true })).not.toContain('by-hints');
    expect(hinted({ readOnlyHint: false, openWorldHint: false })).not.toContain('by-hints');
    expect(firedIds(policy, call('t'))).not.toContain('by-hints');
  });

  test('a rule without match (or with an empty one) matches every call', () => {
    expect(firedIds(policy, call('anything'))).toContain('everything');
    const empty = compile(yaml('rules:', '  - id: all', '    match: {}', '    risk: low'));
    expect(firedIds(empty, call('anything'))).toEqual(['all']);
  });
});
