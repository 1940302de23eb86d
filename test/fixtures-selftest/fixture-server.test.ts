// Self-tests of the fixture MCP servers: every tool and every misbehaviour flag, driven by the real SDK client over
// a real child process, so the gateway's tests can trust what the fixture claims to do.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  ErrorCode,
  McpError,
  ToolListChangedNotificationSchema,
  type CallToolResult,
  type Progress,
} from '@modelcontextprotocol/sdk/types.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  FIXTURE_SERVER_PATH,
  readFixtureState,
  startHttpFixture,
  waitForFixtureState,
  type HttpFixture,
} from '../fixtures/fixture-helpers.js';

interface Connected {
  client: Client;
  transport: StdioClientTransport;
  errors: Error[];
  stderr: () => string;
}

describe('stdio fixture server', () => {
  let dir: string;
  const opened: Client[] = [];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'warden-fixture-'));
  });
  afterEach(async () => {
    await Promise.allSettled(opened.splice(0).map((client) => client.close()));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  async function connect(args: string[] = [], env: Record<string, string> = {}): Promise<Connected> {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [FIXTURE_SERVER_PATH, ...args],
      env,
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const client = new Client({ name: 'fixture-selftest', version: '1.0.0' });
    const errors: Error[] = [];
    client.onerror = (error) => errors.push(error);
    opened.push(client);
    await client.connect(transport);
    return { client, transport, errors, stderr: () => stderr };
  }

  const text = (result: unknown): string => {
    const first = (result as CallToolResult).content[0];
    return first?.type === 'text' ? first.text : '';
  };

  it('lists every tool in one page, with input schemas and annotations, when --tools is not given', async () => {
    const { client } = await connect();
    const listed = await client.listTools();
    expect(listed.nextCursor).toBeUndefined();
    const byName = new Map(listed.tools.map((tool) => [tool.name, tool]));
    expect([...byName.keys()].sort()).toEqual(
      [
        'add',
        'add_tool',
        'big',
        'crash',
        'delete_everything',
        'echo',
        'fail',
        'garbage',
        'hang',
        'mixed',
        'secret_echo',
        'slow',
        'throw',
      ].sort(),
    );
    expect(byName.get('echo')?.annotations?.readOnlyHint).toBe(true);
    expect(byName.get('echo')?.inputSchema.required).toEqual(['text']);
    expect(byName.get('delete_everything')?.annotations?.destructiveHint).toBe(true);
    expect(byName.get('add')?.outputSchema?.properties).toEqual({ sum: { type: 'number' } });
  });

  it('pages tools/list five at a time with nextCursor when --tools 12 is given', async () => {
    const { client } = await connect(['--tools', '12']);
    const pages: string[][] = [];
    let cursor: string | undefined;
    do {
      const page = await client.listTools(cursor === undefined ? {} : { cursor });
      pages.push(page.tools.map((tool) => tool.name));
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    expect(pages.length).toBeGreaterThanOrEqual(3);
    expect(pages.every((page) => page.length <= 5)).toBe(true);
    const names = pages.flat();
    expect(names).toHaveLength(13 + 12);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toContain('gen_000');
    expect(names).toContain('gen_011');
    const generated = await client.callTool({ name: 'gen_007', arguments: { value: 'v' } });
    expect(text(generated)).toBe('gen_007: v');
  });

  it('answers echo, add (structuredContent), fail (isError), big, secret_echo and delete_everything', async () => {
    const { client } = await connect(['--name', 'named-fixture']);
    expect(client.getServerVersion()?.name).toBe('named-fixture');
    expect(client.getServerCapabilities()).toMatchObject({
      tools: { listChanged: true },
      resources: {},
      prompts: {},
    });

    expect(text(await client.callTool({ name: 'echo', arguments: { text: 'hello' } }))).toBe('hello');
    await client.listTools(); // lets the client validate structuredContent against add's outputSchema
    const added = await client.callTool({ name: 'add', arguments: { a: 2, b: 40 } });
    expect(added.structuredContent).toEqual({ sum: 42 });
    expect(text(added)).toBe('42');

    const failed = await client.callTool({ name: 'fail', arguments: { message: 'nope' } });
    expect(failed.isError).toBe(true);
    expect(text(failed)).toBe('nope');

    expect(text(await client.callTool({ name: 'big', arguments: { kb: 300 } }))).toHaveLength(300 * 1024);

    const secrets = { password: 'hunter2', token: 'tok-123', note: 'hi' };
    expect(JSON.parse(text(await client.callTool({ name: 'secret_echo', arguments: secrets })))).toEqual(
      secrets,
    );
    expect(text(await client.callTool({ name: 'delete_everything', arguments: { confirm: true } }))).toBe(
      'deleted',
    );
  });

  it('turns throw into a JSON-RPC error (not a result) carrying the message', async () => {
    const { client } = await connect();
    const error = await client
      .callTool({ name: 'throw', arguments: { message: 'kaboom' } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(McpError);
    expect((error as McpError).code).toBe(ErrorCode.InternalError);
    expect((error as McpError).message).toContain('kaboom');
  });

  it('returns every content type from mixed', async () => {
    const { client } = await connect();
    const result = (await client.callTool({ name: 'mixed', arguments: {} })) as CallToolResult;
    expect(result.content.map((item) => item.type)).toEqual([
      'text',
      'image',
      'audio',
      'resource_link',
      'resource',
    ]);
    const image = result.content[1];
    expect(image?.type === 'image' && Buffer.from(image.data, 'base64').subarray(1, 4).toString()).toBe(
      'PNG',
    );
  });

  it('records each call with its arguments and pid in the state file', async () => {
    const stateFile = join(dir, 'calls.jsonl');
    const { client, transport } = await connect(['--state-file', stateFile]);
    await client.callTool({ name: 'echo', arguments: { text: 'one' } });
    await client.callTool({ name: 'add', arguments: { a: 1, b: 1 } });
    const events = readFixtureState(stateFile);
    expect(events.map((event) => event.event)).toEqual(['start', 'call', 'call']);
    expect(events[1]).toMatchObject({ name: 'echo', args: { text: 'one' }, pid: transport.pid });
    expect(events[2]).toMatchObject({ name: 'add', args: { a: 1, b: 1 } });
  });

  it('sends progress with the caller’s token from slow, then answers done', async () => {
    const { client } = await connect();
    const progress: Progress[] = [];
    const result = await client.callTool({ name: 'slow', arguments: { ms: 150, steps: 3 } }, undefined, {
      onprogress: (update) => progress.push(update),
    });
    expect(text(result)).toBe('done');
    expect(progress.map((update) => [update.progress, update.total])).toEqual([
      [1, 3],
      [2, 3],
      [3, 3],
    ]);
  });

  it('stops slow when the caller cancels, and the state file shows the cancel arrived', async () => {
    const stateFile = join(dir, 'cancel-slow.jsonl');
    const { client } = await connect(['--state-file', stateFile]);
    const controller = new AbortController();
    const call = client.callTool({ name: 'slow', arguments: { ms: 5_000, steps: 50 } }, undefined, {
      signal: controller.signal,
      onprogress: () => controller.abort('user cancelled'),
    });
    await expect(call).rejects.toThrow();
    const events = await waitForFixtureState(stateFile, (seen) =>
      seen.some((event) => event.event === 'aborted'),
    );
    const callEvent = events.find((event) => event.event === 'call');
    expect(events.find((event) => event.event === 'cancelled')).toMatchObject({
      requestId: callEvent?.requestId,
      reason: 'user cancelled',
    });
    expect(events.find((event) => event.event === 'aborted')).toMatchObject({
      name: 'slow',
      cancelled: true,
    });
  });

  it('never answers hang, but records the cancellation when it comes', async () => {
    const stateFile = join(dir, 'cancel-hang.jsonl');
    const { client } = await connect(['--state-file', stateFile]);
    const controller = new AbortController();
    const call = client.callTool({ name: 'hang', arguments: {} }, undefined, { signal: controller.signal });
    await waitForFixtureState(stateFile, (seen) => seen.some((event) => event.name === 'hang'));
    const settled = await Promise.race([call.then(() => 'answered'), delay(300).then(() => 'pending')]);
    expect(settled).toBe('pending');
    controller.abort('give up');
    await expect(call).rejects.toThrow();
    await waitForFixtureState(stateFile, (seen) =>
      seen.some((event) => event.event === 'aborted' && event.name === 'hang'),
    );
    expect(readFixtureState(stateFile).filter((event) => event.event === 'cancelled')).toHaveLength(1);
  });

  it('exits without answering on crash, so the transport closes after the call is recorded', async () => {
    const stateFile = join(dir, 'crash.jsonl');
    const { client } = await connect(['--state-file', stateFile]);
    const closed = new Promise<void>((resolve) => {
      client.onclose = () => resolve();
    });
    await expect(client.callTool({ name: 'crash', arguments: {} })).rejects.toThrow(/closed/i);
    await closed;
    expect(readFixtureState(stateFile).filter((event) => event.event === 'call')).toMatchObject([
      { name: 'crash' },
    ]);
  });

  it('sends tools/list_changed after add_tool, and lists and runs the new tool', async () => {
    const { client } = await connect();
    const changed = new Promise<void>((resolve) => {
      client.setNotificationHandler(ToolListChangedNotificationSchema, () => resolve());
    });
    expect(text(await client.callTool({ name: 'add_tool', arguments: { name: 'late_tool' } }))).toBe(
      'added late_tool',
    );
    await changed;
    expect((await client.listTools()).tools.map((tool) => tool.name)).toContain('late_tool');
    expect(text(await client.callTool({ name: 'late_tool', arguments: { value: 'x' } }))).toBe(
      'late_tool: {"value":"x"}',
    );
  });

  it('serves two resources, a template and the greet prompt', async () => {
    const { client } = await connect();
    const resources = await client.listResources();
    expect(resources.resources.map((resource) => resource.uri)).toEqual([
      'fixture://readme',
      'fixture://config',
    ]);
    const readme = await client.readResource({ uri: 'fixture://readme' });
    expect(readme.contents[0]).toMatchObject({ uri: 'fixture://readme', mimeType: 'text/markdown' });
    const templates = await client.listResourceTemplates();
    expect(templates.resourceTemplates.map((template) => template.uriTemplate)).toEqual([
      'fixture://items/{id}',
    ]);
    const item = await client.readResource({ uri: 'fixture://items/42' });
    expect(item.contents[0]).toMatchObject({ text: '{"id":"42"}' });
    await expect(client.readResource({ uri: 'fixture://missing' })).rejects.toMatchObject({ code: -32002 });

    const prompts = await client.listPrompts();
    expect(prompts.prompts).toMatchObject([{ name: 'greet', arguments: [{ name: 'name', required: true }] }]);
    const greeting = await client.getPrompt({ name: 'greet', arguments: { name: 'Ada' } });
    expect(greeting.messages[0]?.content).toEqual({ type: 'text', text: 'Say hello to Ada.' });
  });

  it('writes non-JSON lines on stdout with --garbage-stdout and from the garbage tool, yet still answers', async () => {
    const { client, errors } = await connect(['--garbage-stdout']);
    expect(text(await client.callTool({ name: 'echo', arguments: { text: 'still works' } }))).toBe(
      'still works',
    );
    expect(text(await client.callTool({ name: 'garbage', arguments: {} }))).toBe('garbage written');
    await delay(50);
    // two lines at start, one after each of initialize and the two results, one from the garbage tool
    expect(errors.length).toBeGreaterThanOrEqual(6);
    expect(errors.every((error) => error instanceof SyntaxError)).toBe(true);
  });

  it('waits --slow-start milliseconds before it answers initialize', async () => {
    const started = Date.now();
    await connect(['--slow-start', '400']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
  });

  it('takes flags from FIXTURE_MODE as well as from the command line', async () => {
    const { client } = await connect([], { FIXTURE_MODE: '--name from-env --tools 1' });
    expect(client.getServerVersion()?.name).toBe('from-env');
    expect((await client.listTools()).nextCursor).toBe('5');
  });

  it('exits with code 3 and a message on stderr with --crash-at-start', async () => {
    const { code, stderr } = await runToExit([FIXTURE_SERVER_PATH, '--crash-at-start']);
    expect(code).toBe(3);
    expect(stderr).toContain('crashing at start');
  });

  it('rejects an unknown flag with exit code 2', async () => {
    const { code, stderr } = await runToExit([FIXTURE_SERVER_PATH, '--no-such-flag']);
    expect(code).toBe(2);
    expect(stderr).toContain('no-such-flag');
  });

  it('blocks on --stderr-noise until its stderr is drained', async () => {
    const child = spawn(process.execPath, [FIXTURE_SERVER_PATH, '--stderr-noise', '512'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    try {
      child.stderr.pause();
      let stdout = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
      child.stdin.write(
        JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'initialize',
          params: {
            protocolVersion: '2025-06-18',
            capabilities: {},
            clientInfo: { name: 't', version: '1' },
          },
        }) + '\n',
      );
      await delay(500);
      expect(stdout).toBe(''); // stuck writing stderr: nobody reads it
      let drained = 0;
      child.stderr.on('data', (chunk: Buffer) => (drained += chunk.length));
      child.stderr.resume();
      await waitUntil(() => stdout.includes('"id":1'));
      expect(drained).toBeGreaterThanOrEqual(512 * 1024);
    } finally {
      child.kill();
    }
  });
});

describe('Streamable HTTP fixture server', () => {
  const running: HttpFixture[] = [];
  afterAll(async () => {
    await Promise.allSettled(running.map((fixture) => fixture.stop()));
  });

  it('prints its URL first, then serves the same tools over a session', async () => {
    const fixture = await startHttpFixture(['--tools', '3']);
    running.push(fixture);
    expect(fixture.url.href).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    const client = new Client({ name: 'fixture-selftest', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(fixture.url));
    try {
      expect(client.getServerVersion()?.name).toBe('fixture-http');
      const first = await client.listTools();
      expect(first.tools).toHaveLength(5);
      expect(first.nextCursor).toBe('5');
      const echoed = await client.callTool({ name: 'echo', arguments: { text: 'over http' } });
      expect((echoed as CallToolResult).content).toEqual([{ type: 'text', text: 'over http' }]);
      const progress: Progress[] = [];
      await client.callTool({ name: 'slow', arguments: { ms: 60, steps: 2 } }, undefined, {
        onprogress: (update) => progress.push(update),
      });
      expect(progress).toHaveLength(2);
    } finally {
      await client.close();
    }
  });

  it('records calls and cancel notifications per session in the state file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-http-fixture-'));
    const stateFile = join(dir, 'state.jsonl');
    const fixture = await startHttpFixture(['--state-file', stateFile]);
    running.push(fixture);
    const client = new Client({ name: 'fixture-selftest', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(fixture.url));
    try {
      const controller = new AbortController();
      const call = client.callTool({ name: 'hang', arguments: {} }, undefined, { signal: controller.signal });
      await waitForFixtureState(stateFile, (seen) => seen.some((event) => event.name === 'hang'));
      controller.abort('stop waiting');
      await expect(call).rejects.toThrow();
      const events = await waitForFixtureState(stateFile, (seen) =>
        seen.some((event) => event.event === 'aborted'),
      );
      expect(events.map((event) => event.event)).toEqual(['start', 'call', 'cancelled', 'aborted']);
      expect(events[2]).toMatchObject({ requestId: events[1]?.requestId, reason: 'stop waiting' });
    } finally {
      await client.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('answers 401 without the bearer token given by --require-token, and serves with it', async () => {
    const fixture = await startHttpFixture(['--require-token', 's3cret']);
    running.push(fixture);
    const anonymous = new Client({ name: 'fixture-selftest', version: '1.0.0' });
    await expect(anonymous.connect(new StreamableHTTPClientTransport(fixture.url))).rejects.toThrow();
    const raw = await fetch(fixture.url, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect(raw.status).toBe(401);

    const client = new Client({ name: 'fixture-selftest', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(fixture.url, {
        requestInit: { headers: { Authorization: 'Bearer s3cret' } },
      }),
    );
    try {
      expect((await client.callTool({ name: 'add', arguments: { a: 1, b: 2 } })).structuredContent).toEqual({
        sum: 3,
      });
    } finally {
      await client.close();
    }
  });
});

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitUntil(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await delay(20);
  }
}

function runToExit(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('close', (code) => resolve({ code, stderr }));
  });
}
