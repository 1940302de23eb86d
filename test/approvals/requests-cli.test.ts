// `warden requests …` run in-process: what an operator sees of pending and decided approval requests.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, test } from 'vitest';
import { openAuditStore } from '../../src/audit/index.js';
import { registerRequestsCommands } from '../../src/cli/requests.js';
import { START, useBrokers, useTempDir, viaToken } from './helpers.js';

const open = useBrokers();
const tempDir = useTempDir();

afterEach(() => {
  process.exitCode = undefined;
});

const after = (ms: number) => new Date(Date.parse(START) + ms).toISOString();

/** Runs `warden <args>` with fresh commands, returning what it printed and the exit code it set. */
async function warden(...args: string[]): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  let stdout = '';
  let stderr = '';
  const program = new Command('warden').exitOverride();
  registerRequestsCommands(program, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
  });
  process.exitCode = undefined;
  await program.parseAsync(args, { from: 'user' });
  const exitCode = Number(process.exitCode ?? 0);
  process.exitCode = undefined;
  return { stdout, stderr, exitCode };
}

/** A database with a pending request (asked and answered), an approved one and a rejected one, a minute apart. */
function sample(): string {
  const t = open();
  t.create('req-approved', { reviewerSpecs: ['user:bob'] });
  t.broker.decide('req-approved', viaToken('bob'), 'approve', 'fine');
  t.clock.set(after(60_000));
  t.create('req-rejected');
  t.broker.decide('req-rejected', viaToken('carol'), 'reject', 'not today');
  t.clock.set(after(120_000));
  t.create('req-pending', { quorum: 2, exposedName: 'db__drop\u001b[31m_table' });
  t.clock.set(after(121_000));
  t.broker.decide('req-pending', viaToken('bob'), 'ask', 'Which environment?');
  t.clock.set(after(122_000));
  t.broker.answer('req-pending', 'staging');
  t.clock.set(after(123_000));
  t.broker.decide('req-pending', viaToken('carol'), 'approve', 'ok for staging');
  t.broker.recordNotified('req-pending', 'teams', 'activity-7');
  return t.file;
}

describe('warden requests list', () => {
  test('prints a table, newest first, with who must decide and how far the quorum is', async () => {
    const db = sample();
    const { stdout, stderr, exitCode } = await warden('requests', 'list', '--db', db);
    expect({ stderr, exitCode }).toEqual({ stderr: '', exitCode: 0 });
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^ID\s+STATUS\s+TOOL\s+RISK\s+REQUESTER\s+REVIEWERS\s+APPROVALS\s+CREATED \(UTC\)\s+EXPIRES \(UTC\)$/,
    );
    expect(lines.slice(1).map((line) => line.split(/\s+/).slice(0, 2))).toEqual([
      ['req-pending', 'pending'],
      ['req-rejected', 'rejected'],
      ['req-approved', 'approved'],
    ]);
    expect(lines[1]).toMatch(
      /^req-pending\s+pending\s+db__drop\\u001b\[31m_table\s+critical\s+alice\s+bob,carol\s+1\/2\s+2025-03-01 09:02:00\s+2025-03-01 09:17:00$/,
    );
    expect(lines[3]).toMatch(/^req-approved\s+approved\s+db__drop_table\s+critical\s+alice\s+bob\s+1\/1\s/);
  });

  test('--pending and --status filter, --json prints one request per line', async () => {
    const db = sample();
    const pending = await warden('requests', 'list', '--db', db, '--pending');
    expect(pending.stdout.trimEnd().split('\n')).toHaveLength(2);
    const rejected = await warden('requests', 'list', '--db', db, '--status', 'rejected', '--json');
    const rows = rejected.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { id: string; outcomeReason: string });
    expect(rows).toMatchObject([{ id: 'req-rejected', outcomeReason: 'rejected by Carol: not today' }]);
    const none = await warden('requests', 'list', '--db', db, '--status', 'expired');
    expect(none.stdout).toBe('(no approval requests)\n');
  });

  test('refuses an unknown status, contradicting filters and a bad limit', async () => {
    const db = sample();
    const bad = await warden('requests', 'list', '--db', db, '--status', 'done');
    expect(bad).toMatchObject({
      exitCode: 1,
      stdout: '',
      stderr:
        'warden: --status: expected one of pending, approved, rejected, expired, cancelled, abandoned, failed, got "done"\n',
    });
    const both = await warden('requests', 'list', '--db', db, '--pending', '--status', 'approved');
    expect(both.stderr).toMatch(/contradict/);
    expect((await warden('requests', 'list', '--db', db, '--limit', '0')).exitCode).toBe(1);
  });

  test('says there are none in a database where nothing needed approval, and fails on a missing file', async () => {
    const file = path.join(tempDir(), 'audit-only.db');
    openAuditStore(file).close();
    expect(await warden('requests', 'list', '--db', file)).toEqual({
      stdout: '(no approval requests)\n',
      stderr: '',
      exitCode: 0,
    });
    const missing = await warden('requests', 'list', '--db', path.join(tempDir(), 'nope.db'));
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toMatch(/^warden: cannot open .*nope\.db.*created by `warden serve` on first use/);
  });

  test('reads the database path from the config when --db is not given', async () => {
    const db = sample();
    const config = path.join(path.dirname(db), 'warden.yaml');
    writeFileSync(
      config,
      `principal: alice\ndatabase: ${path.basename(db)}\npolicies: [p.yaml]\nservers: { fs: { command: npx } }\n`,
    );
    const { stdout, exitCode } = await warden('requests', 'list', '--config', config, '--pending');
    expect(exitCode).toBe(0);
    expect(stdout).toMatch(/^req-pending\s/m);
  });
});

describe('warden requests show', () => {
  test('prints every field, then decisions and questions and answers in order', async () => {
    const db = sample();
    const { stdout, exitCode } = await warden('requests', 'show', 'req-pending', '--db', db);
    expect(exitCode).toBe(0);
    const [fields, decisions, messages, notifications] = stdout.trimEnd().split('\n\n');
    expect(fields).toMatch(/^request\s+req-pending$/m);
    expect(fields).toMatch(/^status\s+pending$/m);
    expect(fields).toMatch(/^tool\s+db__drop\\u001b\[31m_table$/m);
    expect(fields).toMatch(/^server\/tool\s+db \/ drop_table$/m);
    expect(fields).toMatch(/^requester\s+alice \(Alice\) <alice@example\.com> entra aaaaaaaa-/m);
    expect(fields).toMatch(/^agent\s+claude-code\/1\.2\.3$/m);
    expect(fields).toMatch(/^reviewer specs\s+group:dba$/m);
    expect(fields).toMatch(/^reviewers\s+bob, carol$/m);
    expect(fields).toMatch(/^approvals\s+1 of 2$/m);
    expect(fields).toMatch(/^expires\s+2025-03-01T09:17:00\.000Z$/m);
    expect(fields).toMatch(/^args\s+\{"table":"customers","password":"\[REDACTED\]"\}$/m);
    expect(fields).toMatch(/^args hash\s+a{64}$/m);
    expect(fields).toMatch(/^gateway\s+session session-1, pid 4242$/m);
    expect(decisions!.split('\n')).toEqual([
      'decisions (2):',
      `  ${after(121_000)}  bob  ask  via http-api (token ${viaToken('bob').value}): Which environment?`,
      `  ${after(123_000)}  carol  approve  via http-api (token ${viaToken('carol').value}): ok for staging`,
    ]);
    expect(messages!.split('\n')).toEqual([
      'questions and answers (2):',
      `  ${after(121_000)}  question from bob: Which environment?`,
      `  ${after(122_000)}  answer from agent: staging`,
    ]);
    expect(notifications!.split('\n')).toEqual([
      'notifications (1):',
      `  ${after(123_000)}  teams  activity-7`,
    ]);
  });

  test('shows how a request ended, and --json gives the whole request', async () => {
    const db = sample();
    const { stdout } = await warden('requests', 'show', 'req-rejected', '--db', db);
    expect(stdout).toMatch(/^outcome\s+rejected by Carol: not today$/m);
    expect(stdout).toMatch(/^decided\s+2025-03-01T09:01:00\.000Z$/m);
    const json = await warden('requests', 'show', 'req-pending', '--db', db, '--json');
    expect(JSON.parse(json.stdout)).toMatchObject({
      id: 'req-pending',
      status: 'pending',
      approvals: 1,
      decisions: [{ decision: 'ask' }, { decision: 'approve' }],
      messages: [{ kind: 'question' }, { kind: 'answer' }],
      notifications: [{ channel: 'teams', messageId: 'activity-7' }],
    });
  });

  test('fails with the way to find ids when the request is unknown', async () => {
    const db = sample();
    const { stderr, exitCode } = await warden('requests', 'show', 'ghost', '--db', db);
    expect(exitCode).toBe(1);
    expect(stderr).toMatch(
      /^warden: no approval request ghost in .*; `warden requests list` shows the ids\n$/,
    );
  });
});
