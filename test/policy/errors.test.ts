// Load errors: every problem names file:line:column (of the offending key or value), the rule, and what to do.
import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { compilePolicySources, loadPolicyFiles, uniquePolicyPaths } from '../../src/policy/index.js';
import { compile, policyErrorOf, yaml } from './helpers.js';

const errorOf = (text: string, file = 'policies/sql.yaml') => policyErrorOf(() => compile(text, file));

describe('YAML and shape', () => {
  test('invalid YAML is POLICY_PARSE at the position the parser stopped', () => {
    const error = errorOf(yaml('rules:', '  - id: a', '    risk: [low', 'other: 1'));
    expect(error.code).toBe('POLICY_PARSE');
    expect(error.message).toMatch(/^policies\/sql\.yaml:4:1: invalid YAML: /);
    expect(error.location).toEqual({ file: 'policies/sql.yaml', line: 4, column: 1 });
  });

  test('duplicate YAML keys are a parse error', () => {
    const error = errorOf(yaml('rules:', '  - id: a', '    risk: low', '    risk: high'));
    expect(error.code).toBe('POLICY_PARSE');
    expect(error.message).toMatch(/^policies\/sql\.yaml:4:5: invalid YAML: Map keys must be unique/);
  });

  test('an argument path starting with * written unquoted is named, with the quoting that fixes it', () => {
    const block = errorOf(
      yaml(
        'rules:',
        '  - id: a',
        '    match:',
        '      args:',
        '        **.password: { exists: true }',
        '    risk: high',
      ),
    );
    expect(block.message).toBe(
      "policies/sql.yaml:5:9: invalid YAML: the key **.password starts with *, which YAML reads as an alias: quote it ('**.password')",
    );
    const flow = errorOf(yaml('rules:', '  - { id: a, risk: high, match: { args: { *.name: x } } }'));
    expect(flow.message).toBe(
      "policies/sql.yaml:2:43: invalid YAML: the key *.name starts with *, which YAML reads as an alias: quote it ('*.name')",
    );
  });

  test('a second YAML document is named as such, not as a parser call to make', () => {
    const error = errorOf(yaml('rules: []', '---', 'rules: []'));
    expect(error.message).toBe(
      'policies/sql.yaml:2:1: a policy file holds one YAML document, and this one starts another (---): put its rules in one document, or in another file',
    );
  });

  test('reads YAML merge keys, so a shared block of matchers can be reused', () => {
    const policy = compile(
      yaml(
        'rules:',
        '  - id: env-path',
        "    match: { args: { path: &env { regex: '\\.env$' } } }",
        '    risk: critical',
        '    action: deny',
        '  - id: env-file',
        '    match: { args: { file: { <<: *env, flags: i } } }',
        '    risk: critical',
        '    action: deny',
      ),
      'policies/merge.yaml',
    );
    expect(policy.evaluate({ server: 'fs', tool: 'read', args: { file: '/app/.ENV' } }).decidingRule).toBe(
      'env-file',
    );
  });

  test('a file that is not a mapping', () => {
    const error = errorOf(yaml('- id: a'));
    expect(error.code).toBe('POLICY_INVALID');
    expect(error.message).toBe(
      'policies/sql.yaml:1:1: a policy file is a mapping with the keys defaults, redact and rules',
    );
  });

  // Security: a truncated save must not load as "no rules" (every deny rule off).
  test('refuses a file that holds nothing (empty, only comments, {} or null), saying what is expected', () => {
    const expected =
      'expected a mapping with the key rules (a list of rules) and optionally defaults and redact; write rules: [] if this file deliberately has no rules';
    for (const text of ['', '\n\n', '# nothing yet\n# more\n', '---\n', '# header\n---\n']) {
      const error = errorOf(text);
      expect(error.code).toBe('POLICY_INVALID');
      expect(error.message).toBe(
        `policies/sql.yaml:1:1: the file is empty (or holds only comments): ${expected}`,
      );
      expect(error.location).toEqual({ file: 'policies/sql.yaml', line: 1, column: 1 });
    }
    expect(errorOf('{}\n').message).toBe(
      `policies/sql.yaml:1:1: the file holds an empty mapping: ${expected}`,
    );
    expect(errorOf('# header\n~\n').message).toBe(
      `policies/sql.yaml:2:1: the file holds only null: ${expected}`,
    );
  });

  test('an empty file among good ones fails the whole set', () => {
    const error = policyErrorOf(() =>
      compilePolicySources([
        { file: 'a.yaml', text: yaml('rules:', '  - id: deny-all', '    risk: critical') },
        { file: 'b.yaml', text: '' },
      ]),
    );
    expect(error.message).toMatch(/^b\.yaml:1:1: the file is empty/);
  });

  test('accepts rules: [] and a file of only defaults or redact: both are written on purpose', () => {
    expect(compile('rules: []\n').ruleCount).toBe(0);
    expect(compile(yaml('defaults:', '  risk: high')).ruleCount).toBe(0);
    expect(compile(yaml('redact:', '  keys: [pin]')).redaction.keys).toContain('pin');
  });

  test('`rules:` with nothing after it says to write rules: []', () => {
    expect(errorOf(yaml('# rules come later', 'rules:')).message).toBe(
      'policies/sql.yaml:2:7: rules: expected a list of rules, got nothing; write rules: [] if this file deliberately has no rules',
    );
  });
});

describe('unknown keys point at the key itself', () => {
  test('at the top level', () => {
    const error = errorOf(yaml('rule:', '  - id: a'));
    expect(error.message).toBe(
      'policies/sql.yaml:1:1: unknown top-level key "rule" (did you mean "rules"? expected one of: defaults, redact, rules)',
    );
  });

  test('in a rule, naming the rule', () => {
    const error = errorOf(yaml('rules:', '  - id: sql-drop', '    risk: high', '    reviewer: [user:a]'));
    expect(error.message).toBe(
      'policies/sql.yaml:4:5: rule "sql-drop": unknown rule key "reviewer" (did you mean "reviewers"? expected one of: id, description, match, risk, action, reason, reviewers, quorum, timeout)',
    );
  });

  test('in match', () => {
    const error = errorOf(
      yaml('rules:', '  - id: sql-drop', '    match:', '      tools: query', '    risk: high'),
    );
    expect(error.message).toBe(
      'policies/sql.yaml:4:7: rule "sql-drop": match: unknown match key "tools" (did you mean "tool"? expected one of: server, tool, annotations, args)',
    );
  });

  test('an unknown operator in args, with the argument path', () => {
    const error = errorOf(
      yaml(
        'rules:',
        '  - id: sql-drop',
        '    match:',
        '      args:',
        '        query: { regexx: DROP }',
        '    risk: high',
      ),
    );
    expect(error.code).toBe('POLICY_INVALID');
    expect(error.message).toBe(
      'policies/sql.yaml:5:18: rule "sql-drop": args.query: unknown operator "regexx" (did you mean "regex"? expected one of: equals, oneOf, regex, flags, contains, ignoreCase, gt, gte, lt, lte, exists, not, any, all, anyItem)',
    );
  });

  test('in defaults and redact', () => {
    const error = errorOf(yaml('defaults:', '  risks: high', 'redact:', '  pattern: [x]'));
    expect(error.message).toBe(
      [
        '2 problems in policy files:',
        '  policies/sql.yaml:2:3: defaults: unknown key "risks" (did you mean "risk"? expected one of: risk, actions, annotations)',
        '  policies/sql.yaml:4:3: redact: unknown key "pattern" (did you mean "patterns"? expected one of: keys, patterns)',
      ].join('\n'),
    );
  });
});

describe('bad values', () => {
  test('a bad risk value names the accepted ones, at the value', () => {
    const error = errorOf(yaml('rules:', '  - id: sql-drop', '    risk: hgih'));
    expect(error.message).toBe(
      'policies/sql.yaml:3:11: rule "sql-drop": risk: expected one of: low, medium, high, critical; got string "hgih"',
    );
  });

  test('a missing required key is reported at its rule, which is named by position when it has no id', () => {
    const error = errorOf(yaml('rules:', '  - id: ok', '    risk: low', '  - match: { tool: x }'));
    expect(error.message).toBe(
      [
        '2 problems in policy files:',
        '  policies/sql.yaml:4:5: rule #2: missing required key "id"',
        '  policies/sql.yaml:4:5: rule #2: missing required key "risk"',
      ].join('\n'),
    );
  });

  test('a list where a matcher is expected says to use oneOf', () => {
    const error = errorOf(
      yaml(
        'rules:',
        '  - id: r',
        '    match:',
        '      args:',
        '        env: [prod, production]',
        '    risk: low',
      ),
    );
    expect(error.message).toMatch(
      /^policies\/sql\.yaml:5:14: rule "r": args\.env: expected a value .* write oneOf: \[\.\.\.\]$/,
    );
  });

  test('a wrongly typed operator value is named with what it needs and what it got, at the value', () => {
    const error = errorOf(
      yaml(
        'rules:',
        '  - id: r',
        '    match:',
        '      args:',
        '        a: { gt: abc }',
        '        b: { lte: "10" }',
        '        c: { regex: 5 }',
        '        d: { exists: maybe }',
        '        e: { oneOf: foo }',
        '        f: { anyItem: [] }',
        '        g: { flags: 1, regex: x }',
        '        h: { ignoreCase: "true", equals: x }',
        '        i: { any: { regex: x } }',
        '        j: { all: [] }',
        '        k: { oneOf: [] }',
        '    risk: low',
      ),
    );
    expect(error.code).toBe('POLICY_INVALID');
    expect(error.message.split('\n').slice(1)).toEqual([
      '  policies/sql.yaml:5:18: rule "r": args.a.gt: expected a number, got "abc"',
      '  policies/sql.yaml:6:19: rule "r": args.b.lte: expected a number, got "10" (a string; write 10 without quotes)',
      '  policies/sql.yaml:7:21: rule "r": args.c.regex: expected a regex as a string, e.g. \'^/etc/\', got 5',
      '  policies/sql.yaml:8:22: rule "r": args.d.exists: expected true or false, got "maybe"',
      '  policies/sql.yaml:9:21: rule "r": args.e.oneOf: expected a list of values, got "foo"; for a single value write equals: instead',
      '  policies/sql.yaml:10:23: rule "r": args.f.anyItem: expected a value (string, number, boolean, null) or a mapping of operators such as { regex: ... }, got an empty list; anyItem takes one matcher that is tried on every item, e.g. anyItem: { oneOf: [...] }',
      '  policies/sql.yaml:11:21: rule "r": args.g.flags: expected regex flags as a string, e.g. i, got 1',
      '  policies/sql.yaml:12:26: rule "r": args.h.ignoreCase: expected true or false, got "true" (a string; write true without quotes)',
      '  policies/sql.yaml:13:19: rule "r": args.i.any: expected a list of matchers, e.g. [{ regex: ... }, { equals: ... }], got a mapping',
      '  policies/sql.yaml:14:19: rule "r": args.j.all: must list at least one matcher',
      '  policies/sql.yaml:15:21: rule "r": args.k.oneOf: must list at least one value',
    ]);
  });

  test('a list under not, or in any, gets the hint that fits where it stands', () => {
    const error = errorOf(
      yaml(
        'rules:',
        '  - id: r',
        '    match:',
        '      args:',
        '        a: { not: [x, y] }',
        '        b: { any: [[x]] }',
        '    risk: low',
      ),
    );
    expect(error.message.split('\n').slice(1)).toEqual([
      '  policies/sql.yaml:5:19: rule "r": args.a.not: expected a value (string, number, boolean, null) or a mapping of operators such as { regex: ... }, got a list; to refuse several values write not: { oneOf: [...] }',
      '  policies/sql.yaml:6:20: rule "r": args.b.any.0: expected a value (string, number, boolean, null) or a mapping of operators such as { regex: ... }, got a list; for a list of accepted values write { oneOf: [...] }',
    ]);
  });

  test('bad durations, reviewers and quorums', () => {
    const error = errorOf(
      yaml(
        'rules:',
        '  - id: r1',
        '    risk: high',
        '    timeout: 3 weeks',
        '  - id: r2',
        '    risk: high',
        '    reviewers: [alice]',
        '  - id: r3',
        '    risk: high',
        '    reviewers: [user:a]',
        '    quorum: 2',
        '  - id: r4',
        '    risk: high',
        '    timeout: 0',
        '  - id: r5',
        '    risk: high',
        '    timeout: 8d',
        '    quorum: 1.5',
        '    reason: ""',
      ),
    );
    expect(error.message.split('\n').slice(1)).toEqual([
      '  policies/sql.yaml:4:14: rule "r1": timeout: expected a duration such as 30s, 15m, 2h, 1d, or a number of milliseconds',
      '  policies/sql.yaml:7:17: rule "r2": reviewers.0: reviewers are written user:<id> or group:<name>',
      '  policies/sql.yaml:11:13: rule "r3": quorum: quorum 2 can never be reached by 1 named reviewer(s); lower it or add reviewers',
      '  policies/sql.yaml:14:14: rule "r4": timeout: must be between 1 ms and 7 days, got 0 ms',
      '  policies/sql.yaml:17:14: rule "r5": timeout: must be between 1 ms and 7 days, got 8d',
      '  policies/sql.yaml:18:13: rule "r5": quorum: expected a whole number, got number 1.5',
      '  policies/sql.yaml:19:13: rule "r5": reason: must not be empty, got ""',
    ]);
  });

  test('operators that cannot work together', () => {
    const error = errorOf(
      yaml(
        'rules:',
        '  - id: r',
        '    match:',
        '      args:',
        '        a: { regex: x, ignoreCase: true }',
        '        b: { equals: 1, flags: i }',
        '        c: { exists: false, equals: 1 }',
        '        d: {}',
        '    risk: low',
      ),
    );
    expect(error.message.split('\n').slice(1)).toEqual([
      '  policies/sql.yaml:5:36: rule "r": args.a.ignoreCase: ignoreCase applies to equals, oneOf and contains; for regex use flags: i',
      '  policies/sql.yaml:6:32: rule "r": args.b.flags: flags apply to regex; add regex or remove flags',
      '  policies/sql.yaml:7:22: rule "r": args.c.exists: exists: false cannot be combined with other operators (an absent argument has no value to compare)',
      '  policies/sql.yaml:8:12: rule "r": args.d: an operator mapping needs at least one operator (equals, regex, …)',
    ]);
  });

  test('all problems of all files are reported together, in file and line order', () => {
    const error = policyErrorOf(() =>
      compilePolicySources([
        { file: 'a.yaml', text: yaml('rules:', '  - id: a', '    risk: nope', '    color: red') },
        { file: 'b.yaml', text: yaml('defaults:', '  risk: meh') },
      ]),
    );
    expect(error.message.split('\n')).toEqual([
      '3 problems in policy files:',
      '  a.yaml:3:11: rule "a": risk: expected one of: low, medium, high, critical; got string "nope"',
      '  a.yaml:4:5: rule "a": unknown rule key "color" (expected one of: id, description, match, risk, action, reason, reviewers, quorum, timeout)',
      '  b.yaml:2:9: defaults.risk: expected one of: low, medium, high, critical; got string "meh"',
    ]);
    expect(error.location).toEqual({ file: 'a.yaml', line: 3, column: 11 });
  });
});

describe('every problem of a rule is reported, not only the first kind', () => {
  test('type errors do not hide empty operator mappings, flags without regex, misplaced ignoreCase or bad keys', () => {
    const error = errorOf(
      yaml(
        'rules:',
        '  - id: r',
        '    match:',
        '      args:',
        '        x: { gt: abc }',
        '        w: {}',
        '        g: { flags: i }',
        '        h: { regex: x, ignoreCase: true }',
        '        "a|": 1',
        '        n: { not: { regexx: y } }',
        '    risk: severe',
        '    timeout: 0',
      ),
    );
    expect(error.message.split('\n')[0]).toBe('8 problems in policy files:');
    expect(error.message.split('\n').slice(1)).toEqual([
      '  policies/sql.yaml:5:18: rule "r": args.x.gt: expected a number, got "abc"',
      '  policies/sql.yaml:6:12: rule "r": args.w: an operator mapping needs at least one operator (equals, regex, …)',
      '  policies/sql.yaml:7:21: rule "r": args.g.flags: flags apply to regex; add regex or remove flags',
      '  policies/sql.yaml:8:36: rule "r": args.h.ignoreCase: ignoreCase applies to equals, oneOf and contains; for regex use flags: i',
      '  policies/sql.yaml:9:9: rule "r": args: invalid argument path "a|": argument paths are dot-separated names (a.b.0.c), alternatives separated by | (sql|query)',
      '  policies/sql.yaml:10:21: rule "r": args.n.not: unknown operator "regexx" (did you mean "regex"? expected one of: equals, oneOf, regex, flags, contains, ignoreCase, gt, gte, lt, lte, exists, not, any, all, anyItem)',
      '  policies/sql.yaml:11:11: rule "r": risk: expected one of: low, medium, high, critical; got string "severe"',
      '  policies/sql.yaml:12:14: rule "r": timeout: must be between 1 ms and 7 days, got 0 ms',
    ]);
  });

  test('a regex is checked for backtracking even when the rest of its rule is wrong', () => {
    const error = errorOf(
      yaml('rules:', '  - id: r', '    match:', "      args: { q: { regex: '(a+)+$' } }", '    risk: severe'),
    );
    expect(error.code).toBe('POLICY_INVALID'); // the gravest kind present
    expect(error.message).toContain(
      'policies/sql.yaml:4:27: rule "r": args.q.regex: regex /(a+)+$/ can backtrack',
    );
    expect(error.message).toContain('policies/sql.yaml:5:11: rule "r": risk: expected one of');
  });

  test('a duplicate id is reported when either copy is invalid', () => {
    for (const [first, second] of [
      ['    risk: severe', '    risk: low'],
      ['    risk: low', '    risk: severe'],
    ]) {
      const error = policyErrorOf(() =>
        compilePolicySources([
          { file: 'a.yaml', text: yaml('rules:', '  - id: shared', first!) },
          { file: 'b.yaml', text: yaml('rules:', '  - id: shared', second!) },
        ]),
      );
      expect(error.message).toContain(
        'b.yaml:2:5: rule "shared": duplicate rule id "shared", first defined at a.yaml:2:5',
      );
    }
  });
});

describe('rule ids', () => {
  test('a duplicate id across files names both locations', () => {
    const error = policyErrorOf(() =>
      compilePolicySources([
        { file: 'policies/a.yaml', text: yaml('rules:', '  - id: shared', '    risk: low') },
        {
          file: 'policies/b.yaml',
          text: yaml('# b', 'rules:', '  - id: other', '    risk: low', '  - id: shared', '    risk: high'),
        },
      ]),
    );
    expect(error.code).toBe('POLICY_INVALID');
    expect(error.message).toBe(
      'policies/b.yaml:5:5: rule "shared": duplicate rule id "shared", first defined at policies/a.yaml:2:5; ids must be unique across all loaded policy files',
    );
  });

  test('ids reserved for defaults or with odd characters are refused', () => {
    const error = errorOf(yaml('rules:', '  - id: default:unmatched', '    risk: low'));
    expect(error.message).toMatch(
      /^policies\/sql\.yaml:2:9: rule "default:unmatched": id: rule ids are 1-64 letters/,
    );
  });
});

describe('regexes', () => {
  const regexRule = (matcher: string) =>
    yaml(
      'rules:',
      '  - id: sql-drop',
      '    match:',
      '      args:',
      `        query: ${matcher}`,
      '    risk: high',
    );

  test('an invalid regex is POLICY_INVALID at the pattern', () => {
    const error = errorOf(regexRule("{ regex: '(DROP' }"));
    expect(error.code).toBe('POLICY_INVALID');
    expect(error.message).toBe(
      'policies/sql.yaml:5:25: rule "sql-drop": args.query.regex: invalid regex /(DROP/: Unterminated group',
    );
  });

  test('a ReDoS-prone regex is POLICY_UNSAFE_REGEX with the attack string recheck found', () => {
    const error = errorOf(regexRule("{ regex: '(a+)+$' }"));
    expect(error.code).toBe('POLICY_UNSAFE_REGEX');
    expect(error.location).toEqual({ file: 'policies/sql.yaml', line: 5, column: 25 });
    expect(error.message).toBe(
      "policies/sql.yaml:5:25: rule \"sql-drop\": args.query.regex: regex /(a+)+$/ can backtrack catastrophically (exponential time; attack string 'a' + 'a'.repeat(31) + '\\x00a'); rewrite it without nested or overlapping repetition, e.g. (a+)+ → a+",
    );
  });

  test('polynomial backtracking is refused too', () => {
    const error = errorOf(regexRule("{ regex: '\\s*,\\s*$' }"));
    expect(error.code).toBe('POLICY_UNSAFE_REGEX');
    expect(error.message).toContain('(polynomial time; attack string');
  });

  test('unsafe regexes nested in not / any / anyItem and in redact patterns are found', () => {
    const error = errorOf(
      yaml(
        'redact:',
        "  patterns: ['(x|x)*y', { regex: '(b+)+c', flags: i }]",
        'rules:',
        '  - id: r',
        '    match:',
        '      args:',
        "        a: { not: { regex: '^(a|aa)+$' } }",
        "        b: { any: [ok, { anyItem: { regex: '(c*)*d' } }] }",
        '    risk: high',
      ),
    );
    expect(error.code).toBe('POLICY_UNSAFE_REGEX');
    expect(error.message.split('\n').map((line) => line.split(': regex')[0])).toEqual([
      '4 problems in policy files:',
      '  policies/sql.yaml:2:14: redact.patterns.0',
      '  policies/sql.yaml:2:34: redact.patterns.1.regex',
      '  policies/sql.yaml:7:28: rule "r": args.a.not.regex',
      '  policies/sql.yaml:8:44: rule "r": args.b.any.1.anyItem.regex',
    ]);
  });

  test('g and y flags are refused (they make test() stateful)', () => {
    for (const flags of ['g', 'iy']) {
      const error = errorOf(regexRule(`{ regex: DROP, flags: ${flags} }`));
      expect(error.code).toBe('POLICY_INVALID');
      expect(error.message).toBe(
        `policies/sql.yaml:5:38: rule "sql-drop": args.query.flags: may only use the flags i, m, s, u (g and y make matching stateful; they are refused)`,
      );
    }
  });

  test('a flag named twice is refused where it is written, not by the regex engine later', () => {
    const error = errorOf(regexRule('{ regex: DROP, flags: ii }'));
    expect(error.message).toBe(
      'policies/sql.yaml:5:38: rule "sql-drop": args.query.flags: names a flag twice: "ii"',
    );
  });

  test('\\p{…} without the u flag is refused: it would match the letters p{L}, not a Unicode property', () => {
    const error = errorOf(regexRule("{ regex: '^\\p{Lu}' }"));
    expect(error.message).toBe(
      'policies/sql.yaml:5:25: rule "sql-drop": args.query.regex: uses \\p{…}, which only means a Unicode property with the u flag; add flags: u',
    );
    expect(() => compile(regexRule("{ regex: '^\\p{Lu}', flags: u }"))).not.toThrow();
  });

  test('overlong patterns are refused before they are checked', () => {
    const error = errorOf(regexRule(`{ regex: '${'a'.repeat(501)}' }`));
    expect(error.message).toContain('args.query.regex: is longer than 500 characters');
  });
});

describe('reading files', () => {
  test('missing files are POLICY_NOT_FOUND, all of them at once', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'warden-policy-'));
    const good = path.join(dir, 'good.yaml');
    writeFileSync(good, yaml('rules:', '  - id: r', '    risk: low'));
    const error = policyErrorOf(() =>
      loadPolicyFiles([good, path.join(dir, 'a.yaml'), path.join(dir, 'b.yaml')]),
    );
    expect(error.code).toBe('POLICY_NOT_FOUND');
    expect(error.message).toBe(
      [
        '2 problems in policy files:',
        `  ${path.join(dir, 'a.yaml')}: cannot read policy file (ENOENT); check the path under \`policies:\` in warden.yaml`,
        `  ${path.join(dir, 'b.yaml')}: cannot read policy file (ENOENT); check the path under \`policies:\` in warden.yaml`,
      ].join('\n'),
    );
    expect(loadPolicyFiles([good]).ruleCount).toBe(1);
  });

  test('a file listed twice (by any spelling, or through a symlink) is loaded once', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'warden-policy-'));
    const file = path.join(dir, 'p.yaml');
    writeFileSync(file, yaml('rules:', '  - id: r', '    risk: low'));
    const link = path.join(dir, 'link.yaml');
    symlinkSync(file, link);
    const spelled = path.join(dir, '.', 'sub', '..', 'p.yaml');
    const policy = loadPolicyFiles([file, spelled, link, file]);
    expect(policy.ruleCount).toBe(1);
    expect(policy.files).toEqual([file]);
    expect(uniquePolicyPaths([link, file, path.join(dir, 'missing.yaml')])).toEqual([
      link,
      path.join(dir, 'missing.yaml'),
    ]);
  });

  test('the "cannot read" hint names where the path was given', () => {
    const error = policyErrorOf(() =>
      loadPolicyFiles(['nosuch.yaml'], { pathHint: 'check the path given on the command line' }),
    );
    expect(error.message).toBe(
      'nosuch.yaml: cannot read policy file (ENOENT); check the path given on the command line',
    );
  });

  test('errors from files on disk name the path as given', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'warden-policy-'));
    const file = path.join(dir, 'p.yaml');
    writeFileSync(file, yaml('rules:', '  - id: r', '    risk: extreme'));
    expect(policyErrorOf(() => loadPolicyFiles([file])).message).toMatch(
      new RegExp(`^${file.replace(/[.\\]/g, '\\$&')}:3:11: rule "r"`),
    );
  });
});
