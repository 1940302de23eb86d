// End to end: SDK client → real `warden serve` → @modelcontextprotocol/server-filesystem, with a real audit file.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import {
  FILESYSTEM_SERVER,
  WARDEN_CLI,
  startWarden,
  tempDir,
  textOf,
  type WardenHarness,
} from './harness.js';

const POLICY = `
rules:
  - id: fs-read
    match: { server: fs, tool: [read_*, list_*, directory_tree, get_file_info, search_files] }
    risk: low
    action: allow
  - id: fs-secrets
    match:
      server: fs
      args:
        path: { regex: '(^|/)\\.env$' }
    risk: critical
    action: deny
    reason: Secrets files are off limits
  - id: fs-write
    match: { server: fs, tool: [write_file, edit_file, move_file] }
    risk: high
    action: approve
    reason: Changing files needs a human
  - id: fs-mkdir
    match: { server: fs, tool: create_directory }
    risk: medium
    action: allow
`;

describe('gateway in front of server-filesystem', () => {
  let warden: WardenHarness;
  let workspace: string;

  beforeAll(async () => {
    workspace = tempDir('warden-fs-');
    writeFileSync(path.join(workspace, 'notes.md'), '# Notes\nhello from the workspace\n');
    writeFileSync(path.join(workspace, '.env'), 'API_TOKEN=supersecret\n');
    warden = await startWarden({
      servers: { fs: { command: process.execPath, args: [FILESYSTEM_SERVER, workspace] } },
      policy: POLICY,
    });
  });
  afterAll(async () => {
    await warden?.close();
  });

  it('exposes every filesystem tool as fs__<tool>, with schemas and annotations passed through', async () => {
    const { tools } = await warden.client.listTools();
    const names = tools.map((t) => t.name);
    expect(names).toEqual(
      expect.arrayContaining(['fs__read_text_file', 'fs__write_file', 'fs__list_directory']),
    );
    expect(names.every((n) => /^[a-zA-Z0-9_-]{1,64}$/.test(n))).toBe(true);
    const write = tools.find((t) => t.name === 'fs__write_file')!;
    expect(write.inputSchema.properties).toHaveProperty('path');
    expect(write.inputSchema.properties).toHaveProperty('content');
    expect(write.description).toMatch(/write/i);
    const read = tools.find((t) => t.name === 'fs__read_text_file')!;
    expect(read.annotations?.readOnlyHint).toBe(true);
  });

  it('runs an allowed read and records intent then outcome', async () => {
    const result = await warden.client.callTool({
      name: 'fs__read_text_file',
      arguments: { path: path.join(workspace, 'notes.md') },
    });
    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toContain('hello from the workspace');

    const events = await warden.callEvents('fs__read_text_file');
    expect(events.map((e) => e.type)).toEqual(['call.intent', 'call.outcome']);
    const [intent, outcome] = events;
    expect(intent!.data).toMatchObject({
      server: 'fs',
      tool: 'read_text_file',
      risk: 'low',
      action: 'allow',
      principal: { id: 'alice@example.com' },
      agent: { name: 'e2e-agent', version: '1.2.3' },
    });
    expect((intent!.data.rules as Array<{ ruleId: string }>)[0]!.ruleId).toBe('fs-read');
    expect(intent!.data.argsHash).toMatch(/^[0-9a-f]{64}$/);
    expect(outcome!.data).toMatchObject({ status: 'ok', isError: false });
    expect(outcome!.data.excerpt).toContain('hello from the workspace');
    expect(outcome!.data.resultBytes).toBeGreaterThan(10);
  });

  it('denies a read of a secrets file without contacting the server', async () => {
    const result = await warden.client.callTool({
      name: 'fs__read_text_file',
      arguments: { path: path.join(workspace, '.env') },
    });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/denied.*Secrets files are off limits/);
    expect(textOf(result)).not.toContain('supersecret');
    const events = await warden.callEvents('fs__read_text_file');
    expect(events.map((e) => e.type)).toEqual(['call.intent', 'call.denied']);
    expect(events[0]!.data).toMatchObject({ risk: 'critical', action: 'deny' });
    // Both rules that fired are recorded, the deciding one first.
    expect((events[0]!.data.rules as Array<{ ruleId: string }>).map((r) => r.ruleId)).toEqual([
      'fs-secrets',
      'fs-read',
    ]);
  });

  it('fails closed on a call that needs approval: the file is not written', async () => {
    const target = path.join(workspace, 'new.txt');
    const result = await warden.client.callTool({
      name: 'fs__write_file',
      arguments: { path: target, content: 'should not exist' },
    });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/needs human approval/);
    expect(existsSync(target)).toBe(false);
    const events = await warden.callEvents('fs__write_file');
    expect(events.map((e) => e.type)).toEqual(['call.intent', 'call.denied']);
    expect(events[1]!.data).toMatchObject({ action: 'approve', failClosed: true });
  });

  it('passes a downstream tool error through as an error result and records it', async () => {
    mkdirSync(path.join(workspace, 'sub'), { recursive: true });
    const result = await warden.client.callTool({
      name: 'fs__list_directory',
      arguments: { path: '/definitely/outside/the/allowed/dirs' },
    });
    expect(result.isError).toBe(true);
    const events = await warden.callEvents('fs__list_directory');
    expect(events.at(-1)!.data).toMatchObject({ status: 'tool_error', isError: true });
  });

  it('leaves a log that `warden audit verify` proves intact, and names the first event after tampering', () => {
    const events = warden.events();
    expect(events[0]!.type).toBe('gateway.started');
    expect(events.some((e) => e.type === 'server.connected' && e.data.server === 'fs')).toBe(true);

    const verify = () =>
      spawnSync(process.execPath, [WARDEN_CLI, 'audit', 'verify', '--db', warden.dbPath], {
        encoding: 'utf8',
      });
    const intact = verify();
    expect(intact.stderr).toBe('');
    expect(intact.status).toBe(0);
    expect(intact.stdout).toMatch(/chain intact/);

    // An attacker with write access to the file drops the guard triggers and rewrites a denial into an allow.
    const copy = path.join(tempDir(), 'tampered.db');
    const source = new Database(warden.dbPath, { readonly: true });
    source.exec(`VACUUM INTO '${copy}'`);
    source.close();
    const db = new Database(copy);
    db.exec('DROP TRIGGER events_no_update');
    const denied = events.find((e) => e.type === 'call.denied')!;
    db.prepare("UPDATE events SET data = json_set(data, '$.reason', 'fine') WHERE seq = ?").run(denied.seq);
    db.close();
    const tampered = spawnSync(process.execPath, [WARDEN_CLI, 'audit', 'verify', '--db', copy], {
      encoding: 'utf8',
    });
    expect(tampered.status).toBe(2);
    expect(tampered.stderr).toContain(String(denied.seq));
  });
});
