// Verdicts: which rule decides, the risk, the defaults table, annotation defaults and what the verdict carries.
import { describe, expect, test } from 'vitest';
import { compilePolicySources } from '../../src/policy/index.js';
import { call, compile, yaml } from './helpers.js';

describe('precedence', () => {
  const policy = compile(
    yaml(
      'rules:',
      '  - id: write-any',
      '    match: { tool: write_* }',
      '    risk: high',
      '    reason: Writes need a look',
      '  - id: write-etc',
      '    match:',
      '      tool: write_*',
      "      args: { path: { regex: '^/etc/' } }",
      '    risk: critical',
      '    reason: Never write under /etc',
      '  - id: write-logged',
      '    match: { tool: write_file }',
      '    risk: low',
      '  - id: write-loud',
      '    match: { tool: write_file }',
      '    risk: critical',
      '    action: allow',
    ),
  );

  test('the most restrictive action wins, and every firing rule is recorded, deciding rule first', () => {
    const verdict = policy.evaluate(call('write_file', { path: '/etc/passwd' }));
    expect(verdict.action).toBe('deny');
    expect(verdict.decidingRule).toBe('write-etc');
    expect(verdict.reason).toBe('Never write under /etc');
    expect(verdict.matches.map((m) => m.ruleId)).toEqual([
      'write-etc',
      'write-any',
      'write-logged',
      'write-loud',
    ]);
    expect(verdict.matches.map((m) => m.action)).toEqual(['deny', 'approve', 'allow', 'allow']);
  });

  test('the verdict risk is the highest among matches, even when a less restrictive rule carries it', () => {
    const verdict = policy.evaluate(call('write_file', { path: '/tmp/x' }));
    expect(verdict.decidingRule).toBe('write-any');
    expect(verdict.action).toBe('approve');
    expect(verdict.risk).toBe('critical');
  });

  test('between equally restrictive actions the higher risk decides, then the earlier rule', () => {
    const tie = compile(
      yaml(
        'rules:',
        '  - id: first-medium',
        '    risk: medium',
        '    action: approve',
        '  - id: high',
        '    risk: high',
        '    action: approve',
        '  - id: second-high',
        '    risk: high',
        '    action: approve',
      ),
    );
    const verdict = tie.evaluate(call('t'));
    expect(verdict.decidingRule).toBe('high');
    expect(verdict.matches.map((m) => m.ruleId)).toEqual(['high', 'first-medium', 'second-high']);
  });

  test('rules record file and line, and why lines say which conditions held', () => {
    const [deciding] = policy.evaluate(call('write_file', { path: '/etc/passwd' })).matches;
    expect(deciding).toEqual({
      ruleId: 'write-etc',
      file: 'policy.yaml',
      line: 6,
      risk: 'critical',
      action: 'deny',
      reason: 'Never write under /etc',
      why: ['tool "write_file" matches "write_*"', 'args.path "/etc/passwd" matches /^\\/etc\\//'],
    });
  });

  test('a rule without a reason gets a generated one', () => {
    const verdict = compile(yaml('rules:', '  - id: fs-write', '    risk: high')).evaluate(call('t'));
    expect(verdict.reason).toBe('rule fs-write: risk high');
  });
});

describe('defaults', () => {
  test('built in: unmatched calls are medium → allow; high → approve; critical → deny', () => {
    const policy = compile(
      yaml(
        'rules:',
        '  - id: h',
        '    match: { tool: h }',
        '    risk: high',
        '  - id: c',
        '    match: { tool: c }',
        '    risk: critical',
      ),
    );
    const unmatched = policy.evaluate(call('other'));
    expect(unmatched).toMatchObject({ risk: 'medium', action: 'allow', decidingRule: 'default:unmatched' });
    expect(unmatched.matches).toEqual([
      {
        ruleId: 'default:unmatched',
        risk: 'medium',
        action: 'allow',
        why: ['no rule matched; the default risk is medium'],
      },
    ]);
    expect(policy.evaluate(call('h')).action).toBe('approve');
    expect(policy.evaluate(call('c')).action).toBe('deny');
  });

  test('the defaults table maps a rule risk to its action unless the rule sets one', () => {
    const policy = compile(
      yaml(
        'defaults:',
        '  risk: high',
        '  actions: { medium: approve, high: deny }',
        'rules:',
        '  - id: m',
        '    match: { tool: m }',
        '    risk: medium',
        '  - id: m-allowed',
        '    match: { tool: m2 }',
        '    risk: medium',
        '    action: allow',
      ),
    );
    expect(policy.evaluate(call('m')).action).toBe('approve');
    expect(policy.evaluate(call('m2')).action).toBe('allow');
    expect(policy.evaluate(call('x'))).toMatchObject({
      risk: 'high',
      action: 'deny',
      decidingRule: 'default:unmatched',
    });
    expect(policy.evaluate(call('x')).matches[0]).toMatchObject({ file: 'policy.yaml', line: 2 });
  });

  test('several files: later files win per key, the rest stays', () => {
    const policy = compilePolicySources([
      {
        file: 'base.yaml',
        text: yaml('defaults:', '  risk: low', '  actions: { low: approve, critical: approve }'),
      },
      { file: 'site.yaml', text: yaml('defaults:', '  actions: { critical: deny }', '  annotations: false') },
      {
        file: 'rules.yaml',
        text: yaml('rules:', '  - id: c', '    match: { tool: c }', '    risk: critical'),
      },
    ]);
    expect(policy.evaluate(call('x'))).toMatchObject({ risk: 'low', action: 'approve' });
    expect(policy.evaluate(call('c')).action).toBe('deny');
    expect(policy.evaluate(call('x', {}, { annotations: { destructiveHint: true } })).decidingRule).toBe(
      'default:unmatched',
    );
  });
});

describe('annotation defaults', () => {
  const policy = compile(yaml('rules:', '  - id: named', '    match: { tool: named }', '    risk: medium'));
  const hinted = (tool: string, annotations: object) => policy.evaluate(call(tool, {}, { annotations }));

  test('destructiveHint makes an unmatched call high, readOnlyHint low; destructive wins when both are set', () => {
    expect(hinted('x', { destructiveHint: true })).toMatchObject({
      risk: 'high',
      action: 'approve',
      decidingRule: 'default:annotation:destructiveHint',
    });
    expect(hinted('x', { readOnlyHint: true })).toMatchObject({
      risk: 'low',
      action: 'allow',
      decidingRule: 'default:annotation:readOnlyHint',
    });
    expect(hinted('x', { readOnlyHint: true, destructiveHint: true }).decidingRule).toBe(
      'default:annotation:destructiveHint',
    );
    expect(hinted('x', { readOnlyHint: false, destructiveHint: false }).decidingRule).toBe(
      'default:unmatched',
    );
  });

  test('a matching rule always overrides annotation defaults', () => {
    expect(hinted('named', { destructiveHint: true })).toMatchObject({
      risk: 'medium',
      decidingRule: 'named',
    });
    expect(hinted('named', { readOnlyHint: true }).matches.map((m) => m.ruleId)).toEqual(['named']);
  });

  test('annotations: false turns annotation defaults off', () => {
    const off = compile(yaml('defaults:', '  annotations: false'));
    expect(off.evaluate(call('x', {}, { annotations: { destructiveHint: true } })).decidingRule).toBe(
      'default:unmatched',
    );
  });
});

describe('what the verdict carries', () => {
  test('reviewers, quorum and timeout come from the deciding rule', () => {
    const policy = compile(
      yaml(
        'rules:',
        '  - id: dba',
        '    match: { tool: query }',
        '    risk: high',
        '    reviewers: [group:dba, user:alice]',
        '    quorum: 2',
        '    timeout: 15m',
        '  - id: ops',
        '    match: { tool: query }',
        '    risk: medium',
        '    action: approve',
        '    reviewers: [group:ops]',
        '    timeout: 90000',
      ),
    );
    const verdict = policy.evaluate(call('query'));
    expect(verdict).toMatchObject({
      decidingRule: 'dba',
      reviewers: ['group:dba', 'user:alice'],
      quorum: 2,
      timeoutMs: 900_000,
    });
    const other = compile(yaml('rules:', '  - id: ops', '    risk: high', '    timeout: 2h')).evaluate(
      call('x'),
    );
    expect(other).toMatchObject({ reviewers: [], quorum: 1, timeoutMs: 7_200_000 });
    expect(
      compile(yaml('rules:', '  - id: r', '    risk: high')).evaluate(call('x')).timeoutMs,
    ).toBeUndefined();
  });

  test('policyVersion is the sha256 of the files, changing with the text or the file name but not the folder', () => {
    const text = yaml('rules:', '  - id: r', '    risk: low');
    const a = compilePolicySources([{ file: 'one/p.yaml', text }]);
    expect(a.evaluate(call('x')).policyVersion).toBe(a.version);
    expect(a.version).toMatch(/^[0-9a-f]{64}$/);
    expect(compilePolicySources([{ file: 'two/p.yaml', text }]).version).toBe(a.version);
    expect(compilePolicySources([{ file: 'q.yaml', text }]).version).not.toBe(a.version);
    expect(compilePolicySources([{ file: 'p.yaml', text: `${text}# comment\n` }]).version).not.toBe(
      a.version,
    );
  });

  test('why lines mask values under secret-looking keys and token shapes, and summarise objects', () => {
    const policy = compile(
      yaml(
        'redact:',
        '  keys: [pin]',
        "  patterns: ['tok-[0-9]{4}']",
        'rules:',
        '  - id: r',
        '    match:',
        '      args:',
        '        db_password: { exists: true }',
        '        userPin: { exists: true }',
        "        note: { regex: 'x' }",
        '        body: { exists: true }',
        "        cmd: { regex: 'curl' }",
        '    risk: high',
      ),
    );
    const { why } = policy.evaluate(
      call('t', {
        db_password: 'hunter2',
        userPin: '1234',
        note: 'x tok-9876 y',
        body: { password: 'p' },
        cmd: 'curl -H "Authorization: Bearer abcdefghijklmnopqrstuvwxyz"',
      }),
    ).matches[0]!;
    expect(why).toEqual([
      'args.db_password [redacted] exists',
      'args.userPin [redacted] exists',
      'args.note "x [redacted] y" matches /x/',
      'args.body (object) exists',
      'args.cmd "curl -H \\"Authorization: [redacted]\\"" matches /curl/',
    ]);
    expect(policy.redaction.keys).toEqual(expect.arrayContaining(['password', 'token', 'pin']));
    expect(policy.redaction.patterns.map(String)).toEqual(['/tok-[0-9]{4}/g']);
  });
});
