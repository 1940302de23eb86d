// explain: the call, the verdict and every fired rule with file:line and why, as data and as text.
import { describe, expect, test } from 'vitest';
import { explainCall, formatExplanation } from '../../src/policy/index.js';
import { compile, yaml } from './helpers.js';

const policy = compile(
  yaml(
    'rules:',
    '  - id: fs-write',
    '    match: { tool: write_* }',
    '    risk: high',
    '    reviewers: [group:ops]',
    '    timeout: 15m',
    '  - id: fs-etc',
    '    match:',
    '      tool: write_*',
    "      args: { path: { regex: '^/etc/', flags: i } }",
    '    risk: critical',
    '    reason: Never write under /etc',
  ),
  'policies/fs.yaml',
);

describe('explainCall', () => {
  test('lists every fired rule, marks the deciding one, and carries the verdict and the policy', () => {
    const explanation = explainCall(policy, {
      server: 'fs',
      tool: 'write_file',
      args: { path: '/etc/passwd' },
    });
    expect(explanation.call).toEqual({ server: 'fs', tool: 'write_file', args: { path: '/etc/passwd' } });
    expect(explanation.verdict).toMatchObject({
      action: 'deny',
      risk: 'critical',
      decidingRule: 'fs-etc',
      reason: 'Never write under /etc',
    });
    expect(explanation.verdict).not.toHaveProperty('matches');
    expect(explanation.policy).toEqual({
      version: policy.version,
      files: ['policies/fs.yaml'],
      ruleCount: 2,
    });
    expect(explanation.rules.map((r) => [r.ruleId, r.deciding, r.line])).toEqual([
      ['fs-etc', true, 7],
      ['fs-write', false, 2],
    ]);
  });
});

describe('formatExplanation', () => {
  test('shows the call, verdict, reason, and each rule with file:line and its why lines', () => {
    const text = formatExplanation(
      explainCall(policy, { server: 'fs', tool: 'write_file', args: { path: '/etc/passwd' } }),
    );
    expect(text).toBe(
      [
        'call:     server "fs", tool "write_file"',
        'args:     {"path":"/etc/passwd"}',
        'verdict:  DENY (risk critical), decided by fs-etc',
        'reason:   Never write under /etc',
        `policy:   version ${policy.version.slice(0, 12)} (2 rules in 1 file)`,
        '',
        'rules that fired (2), deciding rule first:',
        '* fs-etc  critical → deny  policies/fs.yaml:7  (deciding)',
        '      tool "write_file" matches "write_*"',
        '      args.path "/etc/passwd" matches /^\\/etc\\//i',
        '  fs-write  high → approve  policies/fs.yaml:2',
        '      tool "write_file" matches "write_*"',
      ].join('\n'),
    );
  });

  test('an approval shows reviewers, quorum and timeout; defaults show as built in', () => {
    const approve = formatExplanation(
      explainCall(policy, { server: 'fs', tool: 'write_file', args: { path: '/tmp/x' } }),
    );
    expect(approve).toContain('approval: group:ops, quorum 1, timeout 15m');
    const unmatched = formatExplanation(
      explainCall(policy, { server: 'fs', tool: 'rm', args: {}, annotations: { destructiveHint: true } }),
    );
    expect(unmatched).toContain('hints:    {"destructiveHint":true}');
    expect(unmatched).toContain(
      '* default:annotation:destructiveHint  high → approve  (built-in default)  (deciding)',
    );
    expect(unmatched).toContain("approval: (the config's approvals.defaultReviewers), quorum 1");
  });
});
