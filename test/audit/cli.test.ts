// `warden audit …` run in-process: what an auditor sees on stdout and stderr, and the exit codes scripts rely on.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import Database from 'better-sqlite3';
import { Command } from 'commander';
import { afterEach, describe, expect, test } from 'vitest';
import { openAuditStore, type AuditEvent, type RequestSummary } from '../../src/audit/index.js';
import { registerAuditCommands } from '../../src/cli/audit.js';
import { denied, intent, manualClock, outcome, parseCsv, rejected, useTempDir } from './helpers.js';

const tempDir = useTempDir();

afterEach(() => {
  process.exitCode = undefined;
});

/** Runs `warden <args>` with fresh commands, returning what it printed and the exit code it set. */
async function warden(...args: string[]): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  const stdout = new PassThrough();
  const chunks: Buffer[] = [];
  stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  let stderr = '';
  const program = new Command('warden').exitOverride();
  registerAuditCommands(program, { stdout, stderr: { write: (text: string) => (stderr += text) } });
  process.exitCode = undefined;
  await program.parseAsync(args, { from: 'user' });
  const exitCode = Number(process.exitCode ?? 0);
  process.exitCode = undefined;
  return { stdout: Buffer.concat(chunks).toString('utf8'), stderr, exitCode };
}

/** A log with an ok call, a denied call, a rejected call and one in flight, a minute apart from 09:00 UTC. */
function sampleLog(): string {
  const file = path.join(tempDir(), 'warden.db');
  const clock = manualClock('2025-03-01T09:00:00.000Z');
  const store = openAuditStore(file, { now: clock.now });
  store.append({ type: 'gateway.started', sessionId: 'session-1', data: { pid: 42 } });
  store.append(intent('req-ok', { args: { path: '/work/a.md', content: 'one, "two"\nthree' } }));
  store.append(outcome('req-ok', { durationMs: 31 }));
  clock.set('2025-03-01T09:01:00.000Z');
  store.append(
    intent('req-denied', { exposedName: 'fs__delete', tool: 'delete', risk: 'critical', action: 'deny' }),
  );
  store.append(denied('req-denied'));
  clock.set('2025-03-01T09:02:00.000Z');
  store.append(rejected('req-rejected', 'fs__unknown'));
  clock.set('2025-03-01T09:03:00.000Z');
  store.append(intent('req-flying', { exposedName: 'git__push', server: 'git', tool: 'push' }));
  store.close();
  return file;
}

describe('warden audit list', () => {
  test('prints a table, newest first, with the columns an auditor asks for', async () => {
    const db = sampleLog();
    const { stdout, stderr, exitCode } = await warden('audit', 'list', '--db', db);
    expect(exitCode).toBe(0);
    expect(stderr).toBe('');
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^TIME \(UTC\)\s+REQUEST\s+PRINCIPAL\s+AGENT\s+TOOL\s+RISK\s+DECISION\s+BY\s+STATUS\s+DURATION$/,
    );
    expect(lines.slice(1).map((line) => line.split(/\s{2,}/)[1])).toEqual([
      'req-flying',
      'req-rejected',
      'req-denied',
      'req-ok',
    ]);
    expect(lines[4]).toMatch(
      /^2025-03-01 09:00:00\s+req-ok\s+alice@example\.com\s+claude-code\/1\.2\.3\s+fs__write_file\s+medium\s+allow\s+-\s+ok\s+31 ms$/,
    );
    expect(lines[2]).toMatch(/req-rejected\s+-\s+-\s+fs__unknown\s+-\s+-\s+-\s+invalid\s+-$/);
  });

  test('--json prints one request summary per line', async () => {
    const db = sampleLog();
    const { stdout } = await warden('audit', 'list', '--db', db, '--json');
    const summaries = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as RequestSummary);
    expect(summaries.map((s) => [s.requestId, s.status])).toEqual([
      ['req-flying', 'in_flight'],
      ['req-rejected', 'invalid'],
      ['req-denied', 'denied'],
      ['req-ok', 'ok'],
    ]);
    expect(summaries[3]!.args).toEqual({ path: '/work/a.md', content: 'one, "two"\nthree' });
  });

  test('filters by since, status, tool glob and limit', async () => {
    const db = sampleLog();
    const ids = async (...filters: string[]) =>
      (await warden('audit', 'list', '--db', db, '--json', ...filters)).stdout
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((line) => (JSON.parse(line) as RequestSummary).requestId);
    expect(await ids('--since', '2025-03-01T09:01:30Z')).toEqual(['req-flying', 'req-rejected']);
    expect(await ids('--status', 'denied')).toEqual(['req-denied']);
    expect(await ids('--tool', 'fs__*')).toEqual(['req-rejected', 'req-denied', 'req-ok']);
    expect(await ids('--tool', 'fs__*', '--limit', '2')).toEqual(['req-rejected', 'req-denied']);
    expect(await ids('--since', '1h')).toEqual([]);
  });

  test('says so when nothing matches', async () => {
    const db = sampleLog();
    expect((await warden('audit', 'list', '--db', db, '--status', 'timeout')).stdout).toBe('(no requests)\n');
  });

  test('reports a bad filter as `warden: …` with exit code 1', async () => {
    const db = sampleLog();
    for (const args of [
      ['--status', 'approved'],
      ['--since', 'last tuesday'],
      ['--limit', 'ten'],
    ]) {
      const { stdout, stderr, exitCode } = await warden('audit', 'list', '--db', db, ...args);
      expect(exitCode, args.join(' ')).toBe(1);
      expect(stderr).toMatch(/^warden: (status|since|--limit): expected/);
      expect(stdout).toBe('');
    }
  });

  test('neutralizes control characters that came from the agent', async () => {
    const file = path.join(tempDir(), 'warden.db');
    const store = openAuditStore(file);
    store.append(intent('req-evil', { exposedName: 'fs__x\u001b[2J\u001b[31mFAKE' }));
    store.close();
    const { stdout } = await warden('audit', 'list', '--db', file);
    expect(stdout).not.toContain('\u001b');
    expect(stdout).toContain('fs__x\\u001b[2J');
  });
});

describe('warden audit show', () => {
  test("prints the request's summary, then each of its events in order", async () => {
    const db = sampleLog();
    const { stdout, exitCode } = await warden('audit', 'show', 'req-ok', '--db', db);
    expect(exitCode).toBe(0);
    expect(stdout).toMatch(/^request\s+req-ok$/m);
    expect(stdout).toMatch(/^principal\s+alice@example\.com$/m);
    expect(stdout).toMatch(/^rules\s+fs-write, default$/m);
    expect(stdout).toMatch(/^status\s+ok$/m);
    expect(stdout).toMatch(/^duration\s+31 ms$/m);
    expect(stdout).toMatch(/^args hash\s+a{64}$/m);
    const events = stdout.slice(stdout.indexOf('events (2):')).trim().split('\n').slice(1);
    expect(events).toHaveLength(2);
    expect(events[0]).toMatch(/^ {2}2 {2}2025-03-01T09:00:00\.000Z {2}call\.intent {2}\{/);
    expect(events[1]).toMatch(/^ {2}3 {2}2025-03-01T09:00:00\.000Z {2}call\.outcome {2}\{.*"status":"ok"/);
  });

  test('--json prints the summary and the full events', async () => {
    const db = sampleLog();
    const { stdout } = await warden('audit', 'show', 'req-denied', '--db', db, '--json');
    const parsed = JSON.parse(stdout) as { summary: RequestSummary; events: AuditEvent[] };
    expect(parsed.summary).toMatchObject({ requestId: 'req-denied', status: 'denied', decision: 'deny' });
    expect(parsed.events.map((e) => e.type)).toEqual(['call.intent', 'call.denied']);
    expect(parsed.events[0]!.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  test('an unknown id prints to stderr and exits 1', async () => {
    const db = sampleLog();
    const { stdout, stderr, exitCode } = await warden('audit', 'show', 'req-nope', '--db', db);
    expect(exitCode).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(
      /^warden: no request req-nope in .*warden\.db; `warden audit list` shows the ids\n$/,
    );
  });
});

describe('warden audit export', () => {
  test('writes JSON Lines to stdout by default, every event in order', async () => {
    const db = sampleLog();
    const { stdout, exitCode } = await warden('audit', 'export', '--db', db);
    expect(exitCode).toBe(0);
    const events = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as AuditEvent);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(events[1]).toMatchObject({ type: 'call.intent', requestId: 'req-ok', sessionId: 'session-1' });
  });

  test('writes CSV to a file that parses back to the same events', async () => {
    const db = sampleLog();
    const out = path.join(tempDir(), 'export', 'audit.csv');
    const missingFolder = await warden('audit', 'export', '--db', db, '--format', 'csv', '--output', out);
    expect(missingFolder.exitCode).toBe(1);
    expect(missingFolder.stderr).toMatch(/^warden: cannot write .*audit\.csv: ENOENT/);

    const file = path.join(tempDir(), 'audit.csv');
    const { stdout, stderr, exitCode } = await warden(
      'audit',
      'export',
      '--db',
      db,
      '--format',
      'csv',
      '--output',
      file,
    );
    expect(exitCode).toBe(0);
    expect(stdout).toBe('');
    expect(stderr).toBe(`exported 7 events to ${file}\n`);
    const [header, ...records] = parseCsv(readFileSync(file, 'utf8'));
    expect(header).toEqual(['seq', 'ts', 'type', 'request_id', 'session_id', 'prev_hash', 'hash', 'data']);
    const jsonl = (await warden('audit', 'export', '--db', db)).stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as AuditEvent);
    expect(records.map((r) => [Number(r[0]), r[2], r[6], JSON.parse(r[7]!)])).toEqual(
      jsonl.map((e) => [e.seq, e.type, e.hash, e.data]),
    );
    expect(JSON.parse(records[1]![7]!).args.content).toBe('one, "two"\nthree');
  });

  test('--after exports only newer events; a bad format exits 1', async () => {
    const db = sampleLog();
    const { stdout } = await warden('audit', 'export', '--db', db, '--after', '5');
    expect(
      stdout
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as AuditEvent).seq),
    ).toEqual([6, 7]);
    const bad = await warden('audit', 'export', '--db', db, '--format', 'xml');
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toBe('warden: --format: expected jsonl or csv, got "xml"\n');
  });
});

describe('warden audit verify', () => {
  test('prints ok with the count and the head, exit 0', async () => {
    const db = sampleLog();
    const head = (await warden('audit', 'head', '--db', db)).stdout.trim();
    expect(head).toMatch(/^7:[0-9a-f]{64}$/);
    const { stdout, exitCode } = await warden('audit', 'verify', '--db', db);
    expect(exitCode).toBe(0);
    expect(stdout).toBe(`ok: 7 events, chain intact (head ${head})\n`);
  });

  test('names the first bad event and exits 2 when a row was edited', async () => {
    const db = sampleLog();
    const raw = new Database(db);
    raw.exec(
      `DROP TRIGGER events_no_update; UPDATE events SET data = json_set(data, '$.status', 'ok') WHERE seq = 5`,
    );
    raw.close();
    const { stdout, stderr, exitCode } = await warden('audit', 'verify', '--db', db);
    expect(exitCode).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('warden: audit log verification FAILED at seq 5: hash does not match');
    expect(stderr).toContain('event: 5  2025-03-01T09:01:00.000Z  call.denied');
    expect(stderr).toContain('4 events before it verified');
  });

  test('checks a published head with --expect-head', async () => {
    const db = sampleLog();
    const head = (await warden('audit', 'head', '--db', db)).stdout.trim();
    expect((await warden('audit', 'verify', '--db', db, '--expect-head', head)).exitCode).toBe(0);

    const wrong = await warden('audit', 'verify', '--db', db, '--expect-head', `7:${'0'.repeat(64)}`);
    expect(wrong.exitCode).toBe(2);
    expect(wrong.stderr).toContain('differs from the published head');

    const beyond = await warden('audit', 'verify', '--db', db, '--expect-head', `9:${'0'.repeat(64)}`);
    expect(beyond.exitCode).toBe(2);
    expect(beyond.stderr).toContain('before the published head');

    const malformed = await warden('audit', 'verify', '--db', db, '--expect-head', '7');
    expect(malformed.exitCode).toBe(1);
    expect(malformed.stderr).toMatch(/^warden: --expect-head: expected SEQ:HASH/);
  });
});

describe('finding the database', () => {
  test("reads `database` from --config, relative to the config's folder", async () => {
    const dir = tempDir();
    sampleLog();
    const config = path.join(dir, 'warden.yaml');
    writeFileSync(
      config,
      'principal: alice@example.com\ndatabase: warden.db\npolicies: [policy.yaml]\nservers: {}\n',
    );
    const { stdout, exitCode } = await warden('audit', 'verify', '--config', config);
    expect(exitCode).toBe(0);
    expect(stdout).toMatch(/^ok: 7 events/);
  });

  test('a missing database is an error naming it, and nothing is created', async () => {
    const db = path.join(tempDir(), 'nowhere.db');
    const { stderr, exitCode } = await warden('audit', 'list', '--db', db);
    expect(exitCode).toBe(1);
    expect(stderr).toContain(`warden: cannot open audit log ${db}`);
    expect(stderr).toContain('check --db or `database` in the config');
  });

  test('a folder given as the database, and an empty tool glob, are named as such', async () => {
    const dir = tempDir();
    const folder = await warden('audit', 'list', '--db', dir);
    expect(folder.exitCode).toBe(1);
    expect(folder.stderr).toBe(`warden: cannot open audit log ${dir}: it is a folder, not a database file\n`);
    const store = openAuditStore(path.join(dir, 'warden.db'));
    store.close();
    const glob = await warden('audit', 'list', '--db', path.join(dir, 'warden.db'), '--tool', '');
    expect(glob.stderr).toBe('warden: tool: expected a name or a glob such as fs__* or *write*, got ""\n');
  });

  test('a missing config is an error naming it', async () => {
    const config = path.join(tempDir(), 'absent.yaml');
    const { stderr, exitCode } = await warden('audit', 'list', '--config', config);
    expect(exitCode).toBe(1);
    expect(stderr).toContain(`warden: cannot read config ${config}`);
  });
});
