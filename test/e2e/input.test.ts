// End to end: bad input of every kind gets a clear error, and every call involved leaves an audit record.
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  FIXTURE_SERVER,
  WARDEN_CLI,
  readEvents,
  startWarden,
  tempDir,
  textOf,
  waitFor,
  writeConfig,
  type WardenHarness,
} from './harness.js';

const fixture = { command: process.execPath, args: [FIXTURE_SERVER] };

describe('bad input', () => {
  let warden: WardenHarness | undefined;
  afterEach(async () => {
    await warden?.close();
    warden = undefined;
  });

  it('rejects an unknown tool name with a clear error and records it', async () => {
    warden = await startWarden({ servers: { fx: fixture } });
    const result = await warden.client.callTool({ name: 'fx__nope', arguments: {} });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/unknown tool "fx__nope"/);
    const [event] = await warden.callEvents('fx__nope');
    expect(event).toMatchObject({ type: 'call.rejected' });
  });

  it('rejects oversized arguments before the policy or the server sees them', async () => {
    warden = await startWarden({ servers: { fx: fixture }, config: { gateway: { maxArgumentBytes: 1024 } } });
    const result = await warden.client.callTool({ name: 'fx__echo', arguments: { text: 'x'.repeat(5000) } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/5\d{3} bytes, over the limit of 1024 bytes/);
    const [event] = await warden.callEvents('fx__echo');
    expect(event).toMatchObject({ type: 'call.rejected' });
    expect(event!.data.argsBytes).toBeGreaterThan(5000);
  });

  it('stores secrets redacted in the audit log, with the hash of the exact arguments', async () => {
    warden = await startWarden({ servers: { fx: fixture } });
    await warden.client.callTool({
      name: 'fx__secret_echo',
      arguments: { password: 'hunter2', token: 'abc123', note: 'key AKIAABCDEFGHIJKLMNOP here' },
    });
    const [intent, outcome] = await warden.callEvents('fx__secret_echo');
    const stored = JSON.stringify(intent!.data) + JSON.stringify(outcome!.data);
    expect(stored).not.toContain('hunter2');
    expect(stored).not.toContain('abc123');
    expect(stored).not.toContain('AKIAABCDEFGHIJKLMNOP');
    expect(intent!.data.args).toMatchObject({ password: '[REDACTED]', token: '[REDACTED]' });
    expect(intent!.data.argsHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('writes only MCP to stdout', async () => {
    const { configPath } = writeConfig({
      servers: { fx: { ...fixture, args: [FIXTURE_SERVER, '--garbage-stdout'] } },
    });
    const child = spawn(process.execPath, [WARDEN_CLI, 'serve', '--config', configPath], { stdio: 'pipe' });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const send = (msg: object) => child.stdin.write(JSON.stringify(msg) + '\n');
    send({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } },
    });
    await waitFor(() => out.includes('"id":1'));
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    send({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
    send({
      jsonrpc: '2.0',
      id: 3,
      method: 'tools/call',
      params: { name: 'fx__echo', arguments: { text: 'hi' } },
    });
    await waitFor(() => out.includes('"id":3'));
    child.stdin.end();
    await new Promise((r) => child.on('close', r));
    const lines = out.split('\n').filter(Boolean);
    for (const line of lines) expect(JSON.parse(line)).toHaveProperty('jsonrpc', '2.0');
  });

  it('rejects, and records, arguments that would not read the same to the policy, the log and the tool', async () => {
    // Raw lines: an SDK client cannot send 1e400 (JSON.stringify writes Infinity as null).
    const { configPath, dbPath } = writeConfig({ servers: { fx: fixture } });
    const child = spawn(process.execPath, [WARDEN_CLI, 'serve', '--config', configPath], { stdio: 'pipe' });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    type Answer = { id?: number; result?: { isError?: boolean; content: Array<{ text: string }> } };
    const answered = (id: number) =>
      out
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Answer)
        .find((message) => message.id === id);
    const answer = async (id: number) => {
      await waitFor(() => answered(id) !== undefined);
      return answered(id)!;
    };
    const call = (id: number, name: string, argsJson: string) =>
      child.stdin.write(
        `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":${JSON.stringify(name)},"arguments":${argsJson}}}\n`,
      );
    child.stdin.write(
      JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: {
          protocolVersion: '2025-06-18',
          capabilities: {},
          clientInfo: { name: 'raw', version: '0' },
        },
      }) + '\n',
    );
    await answer(1);
    child.stdin.write('{"jsonrpc":"2.0","method":"notifications/initialized"}\n');

    call(2, 'fx__echo', '{"text":"hi","n":1e400}');
    const huge = await answer(2);
    expect(huge.result?.isError).toBe(true);
    expect(huge.result?.content[0]?.text).toBe(
      'Warden rejected this call: invalid arguments for "fx__echo": args.n is a number too large for JSON to carry (it reads as Infinity); send it as a string. It was not run.',
    );

    call(3, 'fx__echo', `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`);
    const deep = await answer(3);
    expect(deep.result?.content[0]?.text).toMatch(
      /^Warden rejected this call: invalid arguments for "fx__echo": args\.a\.a\.a.*… nests more than 64 levels deep/,
    );

    call(4, `fx__${'x'.repeat(3_000_000)}`, '{}');
    const long = await answer(4);
    const text = long.result?.content[0]?.text ?? '';
    expect(text).toMatch(/^unknown tool "fx__x{196}… \(3000004 characters\)"/);
    expect(text.length).toBeLessThan(400);

    child.stdin.end();
    await new Promise((r) => child.on('close', r));
    const rejected = readEvents(dbPath).filter((e) => e.type === 'call.rejected');
    expect(rejected.map((e) => String(e.data.reason).slice(0, 40))).toEqual([
      'invalid arguments for "fx__echo": args.n',
      'invalid arguments for "fx__echo": args.a',
      `unknown tool "fx__${'x'.repeat(22)}`,
    ]);
    expect(JSON.stringify(rejected[2]!.data).length).toBeLessThan(1000);
    expect(readEvents(dbPath).some((e) => e.type === 'call.intent')).toBe(false);
  });

  it('refuses to start on an invalid config, naming the key and the fix, with nothing on stdout', () => {
    const dir = tempDir();
    const configPath = path.join(dir, 'warden.yaml');
    writeFileSync(configPath, 'principal: alice\npolicies: [p.yaml]\nservers:\n  fs:\n    comand: npx\n');
    const run = spawnSync(process.execPath, [WARDEN_CLI, 'serve', '--config', configPath], {
      encoding: 'utf8',
    });
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/warden\.yaml:5:5/);
    expect(run.stderr).toMatch(/servers\.fs/);
  });

  it('refuses an unknown --log-level instead of going silent', () => {
    const { configPath } = writeConfig({ servers: { fx: fixture } });
    const run = spawnSync(
      process.execPath,
      [WARDEN_CLI, 'serve', '--config', configPath, '--log-level', 'loud'],
      {
        encoding: 'utf8',
      },
    );
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/'loud' is invalid. Allowed choices are debug, info, warn, error, silent/);
  });

  it('warns at start about a rule whose approval can never come, since its calls fail closed', async () => {
    warden = await startWarden({
      servers: { fx: fixture },
      policy:
        'rules:\n  - id: ops-only\n    match: { tool: echo }\n    risk: high\n    action: approve\n    reviewers: [group:nosuch]\n',
      config: { reviewers: { bob: { email: 'bob@example.com' } } },
    });
    await waitFor(() => warden!.stderr().includes('rule "ops-only"'), 5_000, 'the warning');
    expect(warden.stderr()).toMatch(
      /warn: .*:2:\d+: rule "ops-only": reviewers: .*nosuch.*; calls it matches fail closed/,
    );
  });

  it('refuses to start on an invalid policy, naming file:line:column', () => {
    const { configPath, policyPath } = writeConfig({
      servers: { fx: fixture },
      policy: 'rules:\n  - id: bad\n    risk: extreme\n',
    });
    const run = spawnSync(process.execPath, [WARDEN_CLI, 'serve', '--config', configPath], {
      encoding: 'utf8',
    });
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`${policyPath}:3:11`);
    expect(run.stderr).toMatch(/risk/);
  });

  it('applies a policy edit without a restart, and keeps the last good policy when the edit is invalid', async () => {
    warden = await startWarden({ servers: { fx: fixture } });
    const ok = await warden.client.callTool({ name: 'fx__echo', arguments: { text: 'a' } });
    expect(ok.isError).toBeFalsy();

    writeFileSync(
      warden.policyPath,
      'rules:\n  - id: no-echo\n    match: { tool: echo }\n    risk: critical\n    action: deny\n    reason: echo is banned\n',
    );
    await waitFor(
      () => warden!.events().some((e) => e.type === 'policy.loaded' && e.data.reload),
      5000,
      'reload',
    );
    const denied = await warden.client.callTool({ name: 'fx__echo', arguments: { text: 'b' } });
    expect(textOf(denied)).toMatch(/echo is banned/);

    writeFileSync(warden.policyPath, 'rules:\n  - id: broken\n    risk: [\n');
    await waitFor(
      () => warden!.events().some((e) => e.type === 'policy.reload_failed'),
      5000,
      'reload failure',
    );
    expect(warden.stderr()).toMatch(/policy reload failed, keeping the last good policy/);
    const still = await warden.client.callTool({ name: 'fx__echo', arguments: { text: 'c' } });
    expect(textOf(still)).toMatch(/echo is banned/);
  });
});
