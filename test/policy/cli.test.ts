// `warden policy check | explain`, run in-process through commander with real files in a temp folder.
import { mkdtempSync, writeFileSync } from 'node:fs';
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
      '    match: { server: fs__extra }',
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
      '  fs__extra: { command: node, args: [extra.js] }',
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
});

describe('warden policy explain', () => {
  test('resolves <server>__<tool> by the longest configured server name and explains the verdict', async () => {
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

    const longest = await warden('policy', 'explain', '--config', config, '--tool', 'fs__extra__write_file');
    expect(longest.stdout).toContain('call:     server "fs__extra", tool "write_file"');
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
      'warden: --tool db__query does not start with a configured server name and "__" (servers: fs, fs__extra)',
    );

    const server = await warden('policy', 'explain', '--config', config, '--server', 'db', '--tool', 'query');
    expect(server.stderr).toBe('warden: --server db is not in the config (servers: fs, fs__extra)\n');
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
