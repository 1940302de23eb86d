// `warden policy check | explain`, run in-process through commander with real files in a temp folder.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, test } from 'vitest';
import { registerPolicyCommands, resolveExposedName } from '../../src/cli/policy.js';
import { yaml } from './helpers.js';

/** Runs `warden <argv>` in-process; returns what it wrote and the exit code it set. */
async function warden(...argv: string[]): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  const program = new Command('warden').exitOverride();
  registerPolicyCommands(program);
  let stdout = '';
  let stderr = '';
  const write = { out: process.stdout.write, err: process.stderr.write };
  process.stdout.write = ((chunk: string) => ((stdout += chunk), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => ((stderr += chunk), true)) as typeof process.stderr.write;
  try {
    await program.parseAsync(argv, { from: 'user' });
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
  }
  const exitCode = Number(process.exitCode ?? 0);
  process.exitCode = undefined;
  return { stdout, stderr, exitCode };
}

afterEach(() => {
  process.exitCode = undefined;
});

function workspace() {
  const dir = mkdtempSync(path.join(tmpdir(), 'warden-policy-cli-'));
  const policy = path.join(dir, 'policy.yaml');
  writeFileSync(
    policy,
    yaml(
      'rules:',
      '  - id: fs-write',
      '    match: { server: fs, tool: write_file }',
      '    risk: high',
      '  - id: extra-any',
      '    match: { server: fs_extra }',
      '    risk: critical',
    ),
  );
  const other = path.join(dir, 'other.yaml');
  writeFileSync(other, yaml('rules:', '  - id: other', '    risk: low'));
  const config = path.join(dir, 'warden.yaml');
  writeFileSync(
    config,
    yaml(
      'principal: alice',
      'policies: [policy.yaml]',
      'servers:',
      '  fs: { command: node, args: [fs.js] }',
      '  fs_extra: { command: node, args: [extra.js] }',
    ),
  );
  return { dir, policy, other, config };
}

describe('warden policy check', () => {
  test('prints the rule and file count and the version, exit 0', async () => {
    const { policy, other } = workspace();
    const result = await warden('policy', 'check', policy, other);
    expect(result).toEqual({
      stdout: expect.stringMatching(/^ok: 3 rules in 2 files \(version [0-9a-f]{8}\)\n$/),
      stderr: '',
      exitCode: 0,
    });
  });

  test('checks the config’s policies when no file is given', async () => {
    const { config } = workspace();
    const result = await warden('policy', 'check', '--config', config);
    expect(result.stdout).toMatch(/^ok: 2 rules in 1 file \(version [0-9a-f]{8}\)\n$/);
  });

  test('prints the problems to stderr with exit code 1', async () => {
    const { dir } = workspace();
    const bad = path.join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      yaml('rules:', '  - id: r', '    match:', "      args: { q: { regex: '(a+)+$' } }", '    risk: high'),
    );
    const result = await warden('policy', 'check', bad);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(
      new RegExp(
        `^warden: ${bad.replace(/[.\\]/g, '\\$&')}:4:27: rule "r": args\\.q\\.regex: regex /\\(a\\+\\)\\+\\$/ can backtrack catastrophically`,
      ),
    );
  });

  test('one rule in one file is "1 rule in 1 file"', async () => {
    const { other } = workspace();
    const result = await warden('policy', 'check', other);
    expect(result.stdout).toMatch(/^ok: 1 rule in 1 file \(version [0-9a-f]{8}\)\n$/);
  });

  test('refuses an empty or comment-only file with its location, exit 1', async () => {
    const { dir } = workspace();
    const empty = path.join(dir, 'empty.yaml');
    writeFileSync(empty, '# nothing here yet\n');
    const result = await warden('policy', 'check', empty);
    expect(result).toEqual({
      stdout: '',
      stderr: `warden: ${empty}:1:1: the file is empty (or holds only comments): expected a mapping with the key rules (a list of rules) and optionally defaults and redact; write rules: [] if this file deliberately has no rules\n`,
      exitCode: 1,
    });
  });

  test('a file named twice is checked once', async () => {
    const { dir, policy } = workspace();
    const again = path.join(dir, '.', 'policy.yaml');
    const result = await warden('policy', 'check', policy, again);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^ok: 2 rules in 1 file /);
  });

  test('a missing file from the command line is not blamed on warden.yaml', async () => {
    const { dir } = workspace();
    const missing = path.join(dir, 'nosuch.yaml');
    const result = await warden('policy', 'check', missing);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toBe(
      `warden: ${missing}: cannot read policy file (ENOENT); check the path given on the command line\n`,
    );

    const { config } = workspace();
    writeFileSync(config, yaml('principal: alice', 'policies: [gone.yaml]', 'servers: {}'));
    const fromConfig = await warden('policy', 'check', '--config', config);
    expect(fromConfig.stderr).toBe(
      `warden: ${path.join(path.dirname(config), 'gone.yaml')}: cannot read policy file (ENOENT); check the path under \`policies:\` in ${config}\n`,
    );
  });
});

describe('warden policy check --config: the reviewers rules name', () => {
  /** A config with reviewers and groups, and one policy file of the given rules. */
  function reviewersWorkspace(rules: string[], extraConfig: string[] = []) {
    const dir = mkdtempSync(path.join(tmpdir(), 'warden-policy-reviewers-'));
    writeFileSync(path.join(dir, 'policy.yaml'), yaml('rules:', ...rules));
    const config = path.join(dir, 'warden.yaml');
    writeFileSync(
      config,
      yaml(
        'principal: { id: alice, email: alice@example.com }',
        'policies: [policy.yaml]',
        'servers: {}',
        'reviewers:',
        '  alice: { email: alice@example.com }',
        '  bob: {}',
        '  carol: {}',
        'groups:',
        '  dba: [bob, carol]',
        '  self: [alice]',
        ...extraConfig,
      ),
    );
    return { dir, config, policy: path.join(dir, 'policy.yaml') };
  }

  test('reports unknown groups and users, unreachable quorums and a principal-only approver, exit 1', async () => {
    const { config, policy } = reviewersWorkspace([
      '  - id: ok',
      '    risk: high',
      '    reviewers: [group:dba]',
      '    quorum: 2',
      '  - id: no-group',
      '    risk: high',
      '    reviewers: [group:nosuch]',
      '  - id: no-user',
      '    risk: high',
      '    reviewers: [user:x]',
      '  - id: quorum',
      '    risk: high',
      '    reviewers: [group:dba, user:bob]',
      '    quorum: 3',
      '  - id: self-only',
      '    risk: high',
      '    reviewers: [group:self]',
      '  - id: denied-anyway',
      '    risk: critical',
      '    reviewers: [group:nosuch]',
    ]);
    const result = await warden('policy', 'check', '--config', config);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.split('\n')).toEqual([
      `warden: 4 problems with the reviewers of policy rules (config ${config}):`,
      `  ${policy}:6:5: rule "no-group": reviewers: group:nosuch names no group in the config (configured: dba, self); fix the policy rule or the config's reviewers/groups`,
      `  ${policy}:9:5: rule "no-user": reviewers: user:x names no reviewer in the config (configured: alice, bob, carol); fix the policy rule or the config's reviewers/groups`,
      `  ${policy}:12:5: rule "quorum": reviewers: quorum 3 cannot be reached: group:dba, user:bob resolve to 2 people (bob, carol); add reviewers or lower the quorum`,
      `  ${policy}:16:5: rule "self-only": reviewers: quorum 1 cannot be reached: group:self resolves to 0 people, not counting the requester (alice); add reviewers or lower the quorum`,
      '',
    ]);
  });

  test('checks given files against the config named with --config; without it, files are checked alone', async () => {
    const { config, policy } = reviewersWorkspace(['  - id: r', '    risk: high', '    reviewers: [user:x]']);
    const withConfig = await warden('policy', 'check', policy, '--config', config);
    expect(withConfig.exitCode).toBe(1);
    expect(withConfig.stderr).toContain('rule "r": reviewers: user:x names no reviewer in the config');
    const alone = await warden('policy', 'check', policy);
    expect(alone).toMatchObject({ exitCode: 0, stderr: '' });
  });

  test('a rule without reviewers is checked against approvals.defaultReviewers', async () => {
    const rules = ['  - id: r', '    risk: high'];
    const none = reviewersWorkspace(rules);
    const missing = await warden('policy', 'check', '--config', none.config);
    expect(missing.stderr).toContain(
      'rule "r": reviewers: the rule names no reviewers and approvals.defaultReviewers in the config is empty',
    );
    const wrong = reviewersWorkspace(rules, ['approvals: { defaultReviewers: [group:ops] }']);
    expect((await warden('policy', 'check', '--config', wrong.config)).stderr).toContain(
      'rule "r": reviewers: (from approvals.defaultReviewers) group:ops names no group in the config',
    );
    const right = reviewersWorkspace(rules, ['approvals: { defaultReviewers: [group:dba] }']);
    expect(await warden('policy', 'check', '--config', right.config)).toMatchObject({
      exitCode: 0,
      stderr: '',
    });
  });

  test('with no reviewers configured, approvals are off: a warning, exit 0', async () => {
    const { config } = workspace();
    const result = await warden('policy', 'check', '--config', config);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^ok: 2 rules in 1 file/);
    expect(result.stderr).toBe(
      'warden: warning: no reviewers are configured, so warden serve fails closed every call that needs approval (1 rule: fs-write); add reviewers: (and groups:) to the config\n',
    );
  });

  test('explain warns when the deciding rule’s approval can never be given', async () => {
    const { config } = reviewersWorkspace([
      '  - id: w',
      '    match: { tool: write }',
      '    risk: high',
      '    reviewers: [group:nosuch]',
    ]);
    const text = readFileSync(config, 'utf8').replace('servers: {}', 'servers: { fs: { command: node } }');
    writeFileSync(config, text);
    const result = await warden('policy', 'explain', '--config', config, '--tool', 'fs__write');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('verdict:  APPROVE (risk high), decided by w');
    expect(result.stderr).toBe(
      "warden: warning: warden serve would fail this call closed: w: reviewers: group:nosuch names no group in the config (configured: dba, self); fix the policy rule or the config's reviewers/groups\n",
    );
    const allowed = await warden('policy', 'explain', '--config', config, '--tool', 'fs__read');
    expect(allowed.stderr).toBe('');
  });
});

describe('warden policy explain', () => {
  test('resolves <server>__<tool> by the configured server names and explains the verdict', async () => {
    const { config } = workspace();
    const plain = await warden(
      'policy',
      'explain',
      '--config',
      config,
      '--tool',
      'fs__write_file',
      '--args',
      '{"path":"/tmp/a"}',
    );
    expect(plain.exitCode).toBe(0);
    expect(plain.stdout).toContain('call:     server "fs", tool "write_file"');
    expect(plain.stdout).toContain('verdict:  APPROVE (risk high), decided by fs-write');

    const longest = await warden('policy', 'explain', '--config', config, '--tool', 'fs_extra__write_file');
    expect(longest.stdout).toContain('call:     server "fs_extra", tool "write_file"');
    expect(longest.stdout).toContain('decided by extra-any');
  });

  test('--server and --tool name the call directly; --json prints the Explanation', async () => {
    const { config } = workspace();
    const result = await warden(
      'policy',
      'explain',
      '--config',
      config,
      '--server',
      'fs',
      '--tool',
      'write_file',
      '--args',
      '{"path":"/tmp/a"}',
      '--annotations',
      '{"destructiveHint":true}',
      '--json',
    );
    expect(result.exitCode).toBe(0);
    const explanation = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(explanation).toMatchObject({
      call: {
        server: 'fs',
        tool: 'write_file',
        args: { path: '/tmp/a' },
        annotations: { destructiveHint: true },
      },
      verdict: { action: 'approve', decidingRule: 'fs-write' },
      rules: [
        {
          ruleId: 'fs-write',
          deciding: true,
          why: ['server "fs" matches "fs"', 'tool "write_file" matches "write_file"'],
        },
      ],
    });
  });

  test('bad --args JSON, a non-object, or an unknown server are clear errors with exit code 1', async () => {
    const { config } = workspace();
    const badJson = await warden(
      'policy',
      'explain',
      '--config',
      config,
      '--tool',
      'fs__x',
      '--args',
      '{path: 1}',
    );
    expect(badJson).toMatchObject({ exitCode: 1, stdout: '' });
    expect(badJson.stderr).toMatch(
      /^warden: --args is not valid JSON \(.*\); quote it for the shell, e\.g\. --args '\{"path":"\/tmp\/x"\}'\n$/,
    );

    const list = await warden('policy', 'explain', '--config', config, '--tool', 'fs__x', '--args', '[1]');
    expect(list.stderr).toBe(`warden: --args must be a JSON object, e.g. --args '{"path":"/tmp/x"}'\n`);

    const unknown = await warden('policy', 'explain', '--config', config, '--tool', 'db__query');
    expect(unknown.exitCode).toBe(1);
    expect(unknown.stderr).toContain(
      'warden: --tool db__query does not start with a configured server name and "__" (servers: fs, fs_extra)',
    );

    const server = await warden('policy', 'explain', '--config', config, '--server', 'db', '--tool', 'query');
    expect(server.stderr).toBe('warden: --server db is not in the config (servers: fs, fs_extra)\n');
  });

  test('prints "1 rule in 1 file" for a policy of one rule', async () => {
    const { dir } = workspace();
    const config = path.join(dir, 'one.yaml');
    writeFileSync(
      config,
      yaml('principal: alice', 'policies: [other.yaml]', 'servers: { fs: { command: node } }'),
    );
    const result = await warden('policy', 'explain', '--config', config, '--tool', 'fs__x');
    expect(result.stdout).toMatch(/policy: {3}version [0-9a-f]{12} \(1 rule in 1 file\)\n/);
  });

  test('refuses unknown and mistyped annotation hints, naming the known ones', async () => {
    const { config } = workspace();
    const explain = (annotations: string) =>
      warden('policy', 'explain', '--config', config, '--tool', 'fs__x', '--annotations', annotations);
    const known =
      'the known hints are readOnlyHint, destructiveHint, idempotentHint, openWorldHint (true or false) and title (a string), e.g. --annotations \'{"readOnlyHint":true}\'';

    const misspelt = await explain('{"readonlyhint":true}');
    expect(misspelt).toEqual({
      stdout: '',
      stderr: `warden: --annotations: unknown hint "readonlyhint" (did you mean "readOnlyHint"?); ${known}\n`,
      exitCode: 1,
    });
    const typed = await explain('{"readOnlyHint":"true","title":5,"colour":"red"}');
    expect(typed.stderr).toBe(
      `warden: --annotations: readOnlyHint must be true or false, got "true"; title must be a string, got 5; unknown hint "colour"; ${known}\n`,
    );
    const badJson = await explain('{readOnlyHint: true}');
    expect(badJson.stderr).toMatch(
      /^warden: --annotations is not valid JSON \(.*\); quote it for the shell, e\.g\. --annotations '\{"readOnlyHint":true\}'\n$/,
    );
    const ok = await explain('{"readOnlyHint":true,"title":"Read"}');
    expect(ok.exitCode).toBe(0);
  });

  test('a missing config is reported, not thrown', async () => {
    const { dir } = workspace();
    const result = await warden(
      'policy',
      'explain',
      '--config',
      path.join(dir, 'nope.yaml'),
      '--tool',
      'fs__x',
    );
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/^warden: cannot read config .*nope\.yaml: ENOENT/);
  });
});

describe('resolveExposedName', () => {
  test('prefers the longest server name and needs a tool after the separator', () => {
    expect(resolveExposedName('a__b__c', ['a', 'a__b'])).toEqual({ server: 'a__b', tool: 'c' });
    expect(resolveExposedName('a__b__c', ['a'])).toEqual({ server: 'a', tool: 'b__c' });
    expect(() => resolveExposedName('a__', ['a'])).toThrow(/does not start with a configured server name/);
  });
});
