// End to end with a fixture server that misbehaves on demand: crash, hang, garbage on stdout, slow start, pagination,
// list changes, timeouts (cancellation from the client is in wire.test.ts). Warden must keep serving and say clearly
// what happened.
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openAuditStore } from '../../src/audit/index.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { FIXTURE_SERVER, startWarden, tempDir, textOf, waitFor, type WardenHarness } from './harness.js';

function stateLines(file: string): Array<Record<string, unknown>> {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

const fixture = (...args: string[]) => ({ command: process.execPath, args: [FIXTURE_SERVER, ...args] });

describe('resilience against misbehaving downstream servers', () => {
  let warden: WardenHarness | undefined;
  afterEach(async () => {
    await warden?.close();
    warden = undefined;
  });

  it('follows downstream pagination so every tool is listed', async () => {
    warden = await startWarden({ servers: { fx: fixture('--tools', '12') } });
    const { tools } = await warden.client.listTools();
    const generated = tools.filter((t) => t.name.startsWith('fx__gen_'));
    expect(generated).toHaveLength(12);
    expect(tools.some((t) => t.name === 'fx__echo')).toBe(true);
  });

  it('keeps serving the other servers when one cannot start, and says why on stderr and in the log', async () => {
    warden = await startWarden({
      servers: {
        good: fixture(),
        missing: { command: 'warden-no-such-command-xyz', args: [] },
        dies: fixture('--crash-at-start'),
      },
      config: { gateway: { restart: { maxAttempts: 1, initialDelayMs: 100, maxDelayMs: 100 } } },
    });
    const { tools } = await warden.client.listTools();
    expect(tools.some((t) => t.name === 'good__echo')).toBe(true);
    expect(tools.some((t) => t.name.startsWith('missing__'))).toBe(false);
    const result = await warden.client.callTool({ name: 'good__echo', arguments: { text: 'still here' } });
    expect(textOf(result)).toContain('still here');
    expect(warden.stderr()).toMatch(
      /server "missing" failed to start: command "warden-no-such-command-xyz" was not found/,
    );
    await waitFor(() => warden!.events().some((e) => e.type === 'server.failed' && e.data.server === 'dies'));
    const failed = warden.events().filter((e) => e.type === 'server.failed');
    expect(failed.map((e) => e.data.server)).toEqual(expect.arrayContaining(['missing', 'dies']));
    expect(warden.stderr()).toMatch(/serving \d+ tools from 1 of 3 servers \(not running: missing, dies\)/);
    // Each attempt is counted once: the first start, then restart 1 of 1, then Warden gives up.
    await waitFor(() => warden!.stderr().includes('server "dies" failed to restart (attempt 1 of 1)'));
    expect(warden.stderr()).toMatch(
      /server "dies" failed to start: .*; restarting in 100 ms \(attempt 1 of 1\)/,
    );
    expect(warden.stderr()).toMatch(/server "dies" failed to restart \(attempt 1 of 1\): .*; giving up/);
    // A call to a tool of a server that is not running says so, rather than "unknown tool".
    const down = await warden.client.callTool({ name: 'missing__read', arguments: {} });
    expect(down.isError).toBe(true);
    expect(textOf(down)).toMatch(
      /^no tool "missing__read" is available: its server "missing" is not running: command "warden-no-such-command-xyz" was not found/,
    );
    const [rejected] = await warden.callEvents('missing__read');
    expect(rejected?.data).toMatchObject({
      exposedName: 'missing__read',
      principal: { id: expect.any(String) },
      unavailable: 'missing',
    });
    const store = openAuditStore(warden.dbPath, { readonly: true });
    try {
      expect(store.getRequest(rejected!.requestId!)?.summary.status).toBe('unavailable');
    } finally {
      store.close();
    }
  });

  it('tolerates garbage on the downstream stdout and stderr noise', async () => {
    warden = await startWarden({ servers: { fx: fixture('--garbage-stdout', '--stderr-noise', '256') } });
    const result = await warden.client.callTool({ name: 'fx__garbage', arguments: {} });
    expect(result.isError).toBeFalsy();
    const echo = await warden.client.callTool({ name: 'fx__echo', arguments: { text: 'ok' } });
    expect(textOf(echo)).toContain('ok');
  });

  it('waits for a slow-starting server before answering the first tools/list', async () => {
    warden = await startWarden({ servers: { fx: fixture('--slow-start', '1500') } });
    const { tools } = await warden.client.listTools();
    expect(tools.some((t) => t.name === 'fx__echo')).toBe(true);
  });

  it('fails in-flight calls clearly when the server crashes, then restarts it', async () => {
    const dir = tempDir();
    const state = path.join(dir, 'state.jsonl');
    warden = await startWarden({
      dir,
      servers: { fx: fixture('--state-file', state) },
      config: { gateway: { restart: { maxAttempts: 3, initialDelayMs: 200, maxDelayMs: 1000 } } },
    });
    const result = await warden.client.callTool({ name: 'fx__crash', arguments: {} });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/downstream server "fx" stopped while handling tools\/call/);
    expect((await warden.callEvents('fx__crash')).at(-1)!.data).toMatchObject({ status: 'failed' });

    await waitFor(() => warden!.events().some((e) => e.type === 'server.restarted'), 10_000, 'restart');
    const echo = await warden.client.callTool({ name: 'fx__echo', arguments: { text: 'back' } });
    expect(textOf(echo)).toContain('back');
    expect(warden.events().some((e) => e.type === 'server.crashed' && e.data.server === 'fx')).toBe(true);
    // The crash call reached the downstream exactly once; it was not retried.
    expect(stateLines(state).filter((l) => l.name === 'crash')).toHaveLength(1);
  });

  it('times out a hanging call at gateway.callTimeoutMs and cancels it downstream', async () => {
    const dir = tempDir();
    const state = path.join(dir, 'state.jsonl');
    warden = await startWarden({
      dir,
      servers: { fx: fixture('--state-file', state) },
      config: { gateway: { callTimeoutMs: 500 } },
    });
    const result = await warden.client.callTool({ name: 'fx__hang', arguments: {} });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/stopped waiting .* after 500 ms/);
    expect((await warden.callEvents('fx__hang')).at(-1)!.data).toMatchObject({ status: 'timeout' });
    await waitFor(
      () => stateLines(state).some((l) => l.cancelled === true),
      5000,
      'cancel to reach the fixture',
    );
  });

  it('relays tools/list_changed from a downstream server', async () => {
    warden = await startWarden({ servers: { fx: fixture() } });
    await warden.client.listTools();
    let changed = 0;
    warden.client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      changed += 1;
    });
    await warden.client.callTool({ name: 'fx__add_tool', arguments: { name: 'late_tool' } });
    await waitFor(() => changed > 0, 5000, 'list_changed');
    const { tools } = await warden.client.listTools();
    expect(tools.some((t) => t.name === 'fx__late_tool')).toBe(true);
  });

  it('keeps an exposed name on its tool when a later tool of another server would sanitize to the same name', async () => {
    // Server "a" tool "_b__x" and server "a_" tool "b__x" both make "a___b__x". The first holder keeps it.
    warden = await startWarden({ servers: { a: fixture(), a_: fixture() } });
    let changed = 0;
    warden.client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      changed += 1;
    });
    await warden.client.callTool({ name: 'a___add_tool', arguments: { name: 'b__x' } });
    await waitFor(() => changed > 0, 5000, 'list_changed');
    expect((await warden.client.listTools()).tools.map((t) => t.name)).toContain('a___b__x');
    await warden.client.callTool({ name: 'a__add_tool', arguments: { name: '_b__x' } });
    await waitFor(() => changed > 1, 5000, 'second list_changed');
    const names = (await warden.client.listTools()).tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['a___b__x', 'a___b__x_2']));
    const first = await warden.client.callTool({ name: 'a___b__x', arguments: { value: 'one' } });
    expect(textOf(first)).toBe('b__x: {"value":"one"}');
    const second = await warden.client.callTool({ name: 'a___b__x_2', arguments: { value: 'two' } });
    expect(textOf(second)).toBe('_b__x: {"value":"two"}');
    expect((await warden.callEvents('a___b__x')).at(0)!.data).toMatchObject({ server: 'a_', tool: 'b__x' });
  });

  it('passes results, errors and mixed content through untouched', async () => {
    warden = await startWarden({ servers: { fx: fixture() } });
    const add = await warden.client.callTool({ name: 'fx__add', arguments: { a: 2, b: 3 } });
    expect(add.structuredContent).toEqual({ sum: 5 });
    const fail = await warden.client.callTool({ name: 'fx__fail', arguments: { message: 'nope' } });
    expect(fail.isError).toBe(true);
    expect(textOf(fail)).toContain('nope');
    const mixed = await warden.client.callTool({ name: 'fx__mixed', arguments: {} });
    const types = (mixed.content as Array<{ type: string }>).map((c) => c.type);
    expect(types).toEqual(expect.arrayContaining(['text', 'image', 'audio', 'resource_link', 'resource']));
    await expect(
      warden.client.callTool({ name: 'fx__throw', arguments: { message: 'kaboom' } }),
    ).rejects.toThrow(/kaboom/);
    expect((await warden.callEvents('fx__throw')).at(-1)!.data).toMatchObject({ status: 'failed' });
  });
});
